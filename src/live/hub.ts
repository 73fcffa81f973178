// Fan-out of a job's stored events to live subscribers: hibernatable WebSockets (the DO may be
// evicted while sockets stay open; what a socket needs lives in its attachment) and SSE streams
// (which keep the DO awake while open). Events must be stored before they are published here, so a
// subscriber's backlog (read from storage) plus what it receives live has no gap and no duplicate:
// the backlog read and the accept happen in one synchronous turn of the Durable Object.
import type { JobEvent } from "../api/schemas.ts";

const SOCKET_TAG = "live";
/** Normal closure: the job reached its terminal state and nothing more will come. */
export const CLOSE_FINISHED = 1000;
const FINISHED_REASON = "job finished";

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
  /** SSE writers (not hibernatable, so kept in memory; an open stream keeps the DO awake). */
  readonly #streams = new Set<WritableStreamDefaultWriter<Uint8Array>>();

  constructor(ctx: DurableObjectState) {
    this.#ctx = ctx;
    // Keep-alive pings are answered by the runtime without waking a hibernated object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
  }

  /**
   * Accepts a WebSocket subscriber: sends `backlog`, then it receives every published event. When
   * the job already finished, the socket is closed (1000) right after the backlog.
   */
  acceptWebSocket(owner: LiveAttachment["live"], backlog: JobEvent[], finished: boolean): Response {
    const pair = new WebSocketPair();
    const client = pair[0];
    const server = pair[1];
    this.#ctx.acceptWebSocket(server, [SOCKET_TAG]);
    server.serializeAttachment({ live: owner } satisfies LiveAttachment);
    for (const event of backlog) server.send(JSON.stringify(event));
    if (finished) server.close(CLOSE_FINISHED, FINISHED_REASON);
    return new Response(null, { status: 101, webSocket: client });
  }

  /** Opens an SSE stream: `backlog` first, then live events; closed after the terminal event. */
  openEventStream(backlog: JobEvent[], finished: boolean): ReadableStream<Uint8Array> {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const writer = writable.getWriter();
    for (const event of backlog) {
      writer.write(encoder.encode(formatSse(event))).catch(() => {});
    }
    if (finished) {
      writer.close().catch(() => {});
    } else {
      this.#streams.add(writer);
      const forget = () => this.#streams.delete(writer);
      writer.closed.then(forget, forget);
    }
    return readable;
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
    if (this.#streams.size === 0) return;
    const frame = encoder.encode(formatSse(event));
    for (const writer of this.#streams) {
      writer.write(frame).catch(() => this.#streams.delete(writer));
      if (terminal) {
        writer.close().catch(() => {});
        this.#streams.delete(writer);
      }
    }
  }

  subscriberCount(): number {
    return this.#ctx.getWebSockets(SOCKET_TAG).length + this.#streams.size;
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
