// Fan-out of a job's stored events to live subscribers: hibernatable WebSockets (the DO may be
// evicted while sockets stay open; state lives in the socket attachment) and SSE streams (which
// keep the DO awake while open). Events must be stored before they are published here, so a
// subscriber's backlog (read from storage) plus what it receives live has no gap and no duplicate:
// the backlog read and the accept happen in one synchronous turn of the Durable Object.

/** The JSON every subscriber receives: the same numbered events as `GET /v1/jobs/{id}/logs`. */
export interface LiveEvent {
  seq: number;
  type: string;
  ts: string;
  [key: string]: unknown;
}

const SOCKET_TAG = "live";
/** Normal closure: the job reached its terminal state and nothing more will come. */
export const CLOSE_FINISHED = 1000;

interface Attachment {
  live: { user: string; lastSeq: number };
}

const encoder = new TextEncoder();

export function formatSse(event: LiveEvent): string {
  return `id: ${event.seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

/** Live SSE writers of one Durable Object instance (not hibernatable, so kept in memory). */
export class LiveHub {
  readonly #ctx: DurableObjectState;
  readonly #streams = new Set<WritableStreamDefaultWriter<Uint8Array>>();

  constructor(ctx: DurableObjectState) {
    this.#ctx = ctx;
  }

  /** Accepts a WebSocket subscriber: replays `backlog`, then it receives every published event. */
  acceptWebSocket(user: string, backlog: LiveEvent[], finished: boolean): Response {
    const pair = new WebSocketPair();
    const client = pair[0];
    const server = pair[1];
    this.#ctx.acceptWebSocket(server, [SOCKET_TAG]);
    const lastSeq = backlog.at(-1)?.seq ?? 0;
    server.serializeAttachment({ live: { user, lastSeq } } satisfies Attachment);
    for (const event of backlog) server.send(JSON.stringify(event));
    if (finished) server.close(CLOSE_FINISHED, "job finished");
    return new Response(null, { status: 101, webSocket: client });
  }

  /** Opens an SSE stream: `backlog` first, then live events; closed after the terminal event. */
  openEventStream(backlog: LiveEvent[], finished: boolean): ReadableStream<Uint8Array> {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const writer = writable.getWriter();
    for (const event of backlog)
      void writer.write(encoder.encode(formatSse(event))).catch(() => {});
    if (finished) {
      void writer.close().catch(() => {});
    } else {
      this.#streams.add(writer);
      void writer.closed.then(
        () => this.#streams.delete(writer),
        () => this.#streams.delete(writer),
      );
    }
    return readable;
  }

  /** Sends a stored event to every subscriber; after a terminal event, closes them normally. */
  publish(event: LiveEvent, terminal: boolean): void {
    const message = JSON.stringify(event);
    for (const ws of this.#ctx.getWebSockets(SOCKET_TAG)) {
      try {
        ws.send(message);
        if (terminal) ws.close(CLOSE_FINISHED, "job finished");
      } catch {
        // A socket that went away between listing and sending: its close handler cleans up.
      }
    }
    const frame = encoder.encode(formatSse(event));
    for (const writer of this.#streams) {
      void writer.write(frame).catch(() => this.#streams.delete(writer));
      if (terminal) {
        void writer.close().catch(() => {});
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
      message: "This channel only accepts the text frame 'ping'.",
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
