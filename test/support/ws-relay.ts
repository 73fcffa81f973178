// A WebSocket relay for node tests: sits between the neon driver and the platform's WebSocket proxy,
// forwards every message unchanged and reads the PostgreSQL protocol in both directions, so a test
// can count round trips (how often the client speaks again after hearing back), Query messages and
// how many of them were in flight (sent, not yet answered by their ReadyForQuery) at most.
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import WebSocket, { WebSocketServer } from "ws";

export interface RelayCounts {
  /**
   * Query round trips: client turns (what it sends before hearing back again) that carry a Query.
   * The startup, password and closing Terminate are left out: they are the same either way, and
   * the driver may send the first Query in the startup's turn.
   */
  turns: number;
  clientMessages: number;
  serverMessages: number;
  /** Simple Query ('Q') messages from the client. */
  queries: number;
  /** ReadyForQuery ('Z') messages from the server (the first one ends the startup). */
  ready: number;
  /** Most Query messages sent and not yet answered at one time. */
  maxInFlight: number;
}

export interface WsRelay {
  /** host:port, for a connection's `ws_proxy`. */
  address: string;
  counts: RelayCounts;
  reset(): void;
  close(): Promise<void>;
}

function zero(): RelayCounts {
  return { turns: 0, clientMessages: 0, serverMessages: 0, queries: 0, ready: 0, maxInFlight: 0 };
}

/** Splits a byte stream into protocol message type bytes; the first client message has none. */
class MessageReader {
  private buf = Buffer.alloc(0);
  private untyped: boolean;
  constructor(untypedFirst: boolean) {
    this.untyped = untypedFirst;
  }
  push(chunk: Buffer, onType: (t: string) => void): void {
    this.buf = Buffer.concat([this.buf, chunk]);
    for (;;) {
      if (this.untyped) {
        if (this.buf.length < 4) return;
        const len = this.buf.readInt32BE(0);
        if (this.buf.length < len) return;
        this.buf = this.buf.subarray(len);
        this.untyped = false;
        continue;
      }
      if (this.buf.length < 5) return;
      const len = this.buf.readInt32BE(1);
      if (this.buf.length < len + 1) return;
      onType(String.fromCharCode(this.buf[0]!));
      this.buf = this.buf.subarray(len + 1);
    }
  }
}

/** Starts a relay to `target` (the proxy's host:port); each connection keeps its path and query. */
export async function startWsRelay(target: string): Promise<WsRelay> {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await once(server, "listening");
  const relay: WsRelay = {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts: zero(),
    reset() {
      relay.counts = zero();
    },
    async close() {
      for (const c of server.clients) c.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  server.on("connection", (client, req) => {
    const upstream = new WebSocket(`ws://${target}${req.url ?? "/"}`);
    const pending: Buffer[] = [];
    const fromClient = new MessageReader(true);
    const fromServer = new MessageReader(false);
    let heard = true;
    let sent = 0;
    let answered = 0;
    client.on("message", (data: Buffer) => {
      const c = relay.counts;
      c.clientMessages++;
      fromClient.push(data, (t) => {
        if (t !== "Q") return;
        if (heard) c.turns++;
        heard = false;
        c.queries++;
        sent++;
        c.maxInFlight = Math.max(c.maxInFlight, sent - answered);
      });
      if (upstream.readyState === WebSocket.OPEN) upstream.send(data);
      else pending.push(data);
    });
    upstream.on("open", () => {
      for (const d of pending.splice(0)) upstream.send(d);
    });
    upstream.on("message", (data: Buffer) => {
      relay.counts.serverMessages++;
      heard = true;
      fromServer.push(data, (t) => {
        if (t !== "Z") return;
        relay.counts.ready++;
        // The startup's ReadyForQuery answers no Query.
        if (sent > answered) answered++;
      });
      client.send(data);
    });
    client.on("close", () => upstream.close());
    upstream.on("close", () => client.close());
    upstream.on("error", () => client.terminate());
    client.on("error", () => upstream.terminate());
  });
  return relay;
}
