// The WebSocket-to-PostgreSQL proxy `@neondatabase/serverless` connects through
// (`ws://<ws_proxy>/v2?address=<host>:<port>`). It forwards only to instances env-manager manages,
// only for the role `postgres` (whose per-instance SCRAM password PostgreSQL then checks), and
// refuses every other target: never an open relay.
import type { IncomingMessage, Server } from "node:http";
import { connect } from "node:net";
import { join } from "node:path";
import type { Duplex } from "node:stream";
import { type RawData, WebSocket, WebSocketServer } from "ws";
import { SOCKET_PORT, USER_ROLE } from "../postgres/settings.ts";
import type { Instance } from "./instance.ts";

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const MAX_STARTUP_BYTES = 10_000;
const HIGH_WATER_BYTES = 4 << 20;

export type ResolveTarget = (address: string) => Instance | null;

export function attachProxy(server: Server, resolve: ResolveTarget): WebSocketServer {
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: 256 << 20,
  });
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? "/", "http://proxy");
    const address = url.searchParams.get("address") ?? "";
    const target = url.pathname === "/v2" ? resolve(address) : null;
    if (!target) {
      socket.end("HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => relay(ws, target));
  });
  return wss;
}

function relay(ws: WebSocket, target: Instance): void {
  let pending = Buffer.alloc(0);
  let upstream: ReturnType<typeof connect> | null = null;
  let startupDone = false;
  const queued: Buffer[] = [];

  const fail = (message: string) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(errorResponse(message));
    ws.close();
    upstream?.destroy();
  };

  ws.on("message", (data: RawData) => {
    const chunk = toBuffer(data);
    if (startupDone) {
      if (upstream) {
        if (!upstream.write(chunk)) ws.pause();
      } else queued.push(chunk);
      return;
    }
    pending = Buffer.concat([pending, chunk]);
    // Answer SSL/GSS negotiation ourselves (plain WebSocket; the hop to PostgreSQL is a unix socket).
    while (pending.length >= 8) {
      const len = pending.readInt32BE(0);
      const code = pending.readInt32BE(4);
      if (len === 8 && (code === SSL_REQUEST || code === GSSENC_REQUEST)) {
        ws.send(Buffer.from("N"));
        pending = pending.subarray(8);
        continue;
      }
      if (code === CANCEL_REQUEST) return fail("cancel requests are not proxied; use env-manager");
      if (len < 8 || len > MAX_STARTUP_BYTES) return fail("malformed startup message");
      if (pending.length < len) return;
      const user = startupUser(pending.subarray(8, len));
      if (user !== USER_ROLE) {
        return fail(`only role "${USER_ROLE}" may connect through the proxy`);
      }
      startupDone = true;
      const first = pending;
      pending = Buffer.alloc(0);
      void open(first);
      return;
    }
    if (pending.length > MAX_STARTUP_BYTES) fail("malformed startup message");
  });

  const open = async (first: Buffer) => {
    if (!(await target.whenUsable())) return fail("instance is not running");
    if (ws.readyState !== WebSocket.OPEN) return;
    const sock = connect(join(target.socketDir, `.s.PGSQL.${SOCKET_PORT}`));
    upstream = sock;
    sock.on("connect", () => {
      sock.write(first);
      for (const c of queued.splice(0)) sock.write(c);
    });
    sock.on("data", (d: Buffer) => {
      if (ws.readyState !== WebSocket.OPEN) return;
      ws.send(d);
      // A large result must not pile up in memory when the client reads slower than PostgreSQL writes.
      if (ws.bufferedAmount > HIGH_WATER_BYTES && !sock.isPaused()) {
        sock.pause();
        const resumeWhenDrained = () => {
          if (ws.readyState !== WebSocket.OPEN) return;
          if (ws.bufferedAmount > HIGH_WATER_BYTES / 4) setTimeout(resumeWhenDrained, 2);
          else sock.resume();
        };
        setTimeout(resumeWhenDrained, 2);
      }
    });
    sock.on("drain", () => ws.resume());
    sock.on("error", () => ws.close());
    sock.on("close", () => ws.close());
  };

  ws.on("close", () => upstream?.destroy());
  ws.on("error", () => upstream?.destroy());
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** The `user` parameter of a StartupMessage body (after length and protocol version). */
function startupUser(body: Buffer): string | null {
  const parts = body.toString("utf8").split("\0");
  for (let i = 0; i + 1 < parts.length; i += 2) {
    if (parts[i] === "user") return parts[i + 1] ?? null;
  }
  return null;
}

/** A FATAL ErrorResponse (SQLSTATE 28000) the driver shows like one from PostgreSQL itself. */
function errorResponse(message: string): Buffer {
  const fields = Buffer.from(`SFATAL\0VFATAL\0C28000\0Mproxy: ${message}\0\0`, "utf8");
  const head = Buffer.alloc(5);
  head.write("E", 0);
  head.writeInt32BE(fields.length + 4, 1);
  return Buffer.concat([head, fields]);
}
