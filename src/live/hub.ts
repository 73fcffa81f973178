// Fan-out of a job's stored events to live subscribers: hibernatable WebSockets (the DO may be
// evicted while sockets stay open; what a socket needs lives in its attachment) and SSE streams
// (which keep the DO awake while open). Events must be stored before they are published here, so a
// subscriber's backlog (read from storage) plus what it receives live has no gap and no duplicate:
// the backlog read and the accept happen in one synchronous turn of the Durable Object. Replays
// are paged (src/limits/limits.ts): no subscriber makes the object hold a whole backlog.
import type { JobEvent } from "../jobs/model.ts";
import { LIVE_LIMITS } from "../limits/limits.ts";

const SOCKET_TAG = "live";
/** Normal closure: the job reached its terminal state and nothing more will come. */
export const CLOSE_FINISHED = 1000;
const FINISHED_REASON = "job finished";
/** More stored events than one replay page: reconnect with `?after=<reason>`. */
export const CLOSE_MORE = 4000;

/** Reads up to `limit` stored events after seq `after`, in seq order. */
export type ReadEvents = (after: number, limit: number) => JobEvent[];

/** What a hibernated socket keeps (namespaced, small). */
export interface LiveAttachment {
  live: { job: string; user: string };
}

const encoder = new TextEncoder();

/** The last event of a job: its terminal status. */
export function isTerminalEvent(event: JobEvent): boolean {
  return event.type === "status" && event.data.terminal === true;
}

/**
 * One SSE frame: `id:` is the event's seq, so `Last-Event-ID` resumes after it. No `event:` field:
 * every frame reaches EventSource's `onmessage`, and a job's `error` event cannot be mistaken for
 * EventSource's own connection `error`. The type is in the JSON.
 */
export function formatSse(event: JobEvent): string {
  return `id: ${event.seq}\ndata: ${JSON.stringify(event)}\n\n`;
}

/** Live subscribers of one Durable Object instance. */
export class LiveHub {
  readonly #ctx: DurableObjectState;
  /**
   * SSE streams that have sent everything stored and wait for the next event (not hibernatable,
   * so kept in memory; an open stream keeps the DO awake).
   */
  readonly #sseWaiters = new Set<() => void>();
  /** SSE streams open now, waiting or sending (capped by LIVE_LIMITS.maxStreams). */
  #streams = 0;

  constructor(ctx: DurableObjectState) {
    this.#ctx = ctx;
    // Keep-alive pings are answered by the runtime without waking a hibernated object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
  }

  /**
   * Accepts a WebSocket subscriber: sends the stored events after `after` (one page of at most
   * `LIVE_LIMITS.wsReplayEvents`), then it receives every published event. When the job already
   * finished, the socket is closed (1000) right after the backlog. When more than one page is
   * stored, it is closed with 4000 and the last sent seq as its reason instead: the client
   * reconnects with `?after=<seq>` for the next page (a hibernatable socket has no send
   * backpressure, so a reconnect is how the consumer asks for more).
   */
  acceptWebSocket(
    owner: LiveAttachment["live"],
    read: ReadEvents,
    after: number,
    finished: boolean,
  ): Response {
    const pair = new WebSocketPair();
    const client = pair[0];
    const server = pair[1];
    const page = read(after, LIVE_LIMITS.wsReplayEvents + 1);
    const more = page.length > LIVE_LIMITS.wsReplayEvents;
    if (more) page.length = LIVE_LIMITS.wsReplayEvents;
    // A socket closed right after its page is never hibernated: nothing will be sent on it, and
    // under `wrangler dev` a hibernatable socket's closing handshake leaves its TCP connection
    // open until the client gives up (30 s for the `ws` package).
    if (more || finished) server.accept();
    else {
      this.#ctx.acceptWebSocket(server, [SOCKET_TAG]);
      server.serializeAttachment({ live: owner } satisfies LiveAttachment);
    }
    for (const event of page) server.send(JSON.stringify(event));
    if (more) server.close(CLOSE_MORE, String(page.at(-1)?.seq ?? after));
    else if (finished) server.close(CLOSE_FINISHED, FINISHED_REASON);
    return new Response(null, { status: 101, webSocket: client });
  }

  /**
   * Opens an SSE stream of the events after `after`: stored ones, then live ones, closed after the
   * terminal event. Every frame is read from storage, a page at a time, and the next page only
   * after the consumer took the last one (the identity stream's write resolves when it is read),
   * so a backlog of any length costs one page of memory.
   */
  openEventStream(read: ReadEvents, after: number): ReadableStream<Uint8Array> {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const writer = writable.getWriter();
    this.#streams++;
    void this.#pump(writer, read, after)
      .catch(() => writer.abort().catch(() => {}))
      .finally(() => this.#streams--);
    return readable;
  }

  /** Whether one more WebSocket subscriber may join (LIVE_LIMITS.maxSockets). */
  socketsFull(): boolean {
    return this.#ctx.getWebSockets(SOCKET_TAG).length >= LIVE_LIMITS.maxSockets;
  }

  /** Whether one more SSE stream may open (LIVE_LIMITS.maxStreams). */
  streamsFull(): boolean {
    return this.#streams >= LIVE_LIMITS.maxStreams;
  }

  async #pump(
    writer: WritableStreamDefaultWriter<Uint8Array>,
    read: ReadEvents,
    after: number,
  ): Promise<void> {
    let cursor = after;
    for (;;) {
      // The read and, when it finds nothing, the wait are registered in one synchronous turn:
      // an event stored in between would be published to a waiter that is already listening.
      const page = read(cursor, LIVE_LIMITS.ssePageEvents);
      if (page.length === 0) {
        await this.#nextEvent(writer);
        continue;
      }
      cursor = page.at(-1)?.seq ?? cursor;
      await writer.write(encoder.encode(page.map(formatSse).join("")));
      if (page.some(isTerminalEvent)) {
        await writer.close();
        return;
      }
    }
  }

  /**
   * Waits for the next published event, or throws when the consumer went away meanwhile (the
   * stream was canceled: its writer's `closed` rejects), so a gone client frees its place under
   * LIVE_LIMITS.maxStreams without waiting for an event that may never come.
   */
  async #nextEvent(writer: WritableStreamDefaultWriter<Uint8Array>): Promise<void> {
    let wake: () => void = () => {};
    const woken = new Promise<void>((resolve) => {
      wake = resolve;
      this.#sseWaiters.add(resolve);
    });
    try {
      await Promise.race([woken, writer.closed]);
    } finally {
      this.#sseWaiters.delete(wake);
    }
  }

  /** Sends a stored event to every subscriber; after the terminal event, closes them normally. */
  publish(event: JobEvent): void {
    const terminal = isTerminalEvent(event);
    const message = JSON.stringify(event);
    for (const ws of this.#ctx.getWebSockets(SOCKET_TAG)) {
      try {
        ws.send(message);
        if (terminal) ws.close(CLOSE_FINISHED, FINISHED_REASON);
      } catch {
        // A socket that went away between listing and sending: its close handler cleans up.
      }
    }
    const waiters = [...this.#sseWaiters];
    this.#sseWaiters.clear();
    for (const wake of waiters) wake();
  }
}

/** Answers a client frame: `ping` gets `pong`; anything else an error frame (never a crash). */
export function answerClientMessage(ws: WebSocket, message: string | ArrayBuffer): void {
  if (message === "ping") {
    ws.send("pong");
    return;
  }
  ws.send(
    JSON.stringify({
      type: "error",
      code: "unsupported_message",
      message: "this channel only accepts the text frame 'ping'",
    }),
  );
}

/** Completes the close handshake a client started. */
export function answerClientClose(ws: WebSocket, code: number, reason: string): void {
  try {
    // 1005/1006/1015 are reserved and may not be sent back.
    ws.close(code === 1005 || code === 1006 || code === 1015 ? 1000 : code, reason);
  } catch {
    // Already closed.
  }
}
