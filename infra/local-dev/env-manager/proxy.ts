// The WebSocket-to-PostgreSQL proxy `@neondatabase/serverless` connects through
// (`ws://<ws_proxy>/v2?address=<host>:<port>`). It forwards only to instances env-manager manages,
// only for the role `postgres`, and refuses every other target: never an open relay. It terminates
// authentication itself: it asks for a cleartext password (which the neon driver's pipelined
// connect sends with the startup message, so no round trip waits on it), checks it against the
// instance's own password, and hands the WebSocket a backend it authenticated with SCRAM over the
// unix socket, usually one it opened beforehand (ready-sessions.ts). The client's connect then
// costs the WebSocket upgrade and nothing more; its first query rides right behind.
import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, Server } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { type RawData, WebSocket, WebSocketServer } from "ws";
import { USER_ROLE } from "../postgres/settings.ts";
import { BackendRefused, type StartupParams } from "./backend-session.ts";
import type { Instance } from "./instance.ts";
import type { ReadySessions } from "./ready-sessions.ts";
import { RowGuard, rowTooLargeMessage } from "./row-guard.ts";

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const MAX_STARTUP_BYTES = 10_000;
const HIGH_WATER_BYTES = 4 << 20;

export type ResolveTarget = (address: string) => Instance | null;

/** AuthenticationCleartextPassword: the password is then checked by the proxy, not PostgreSQL. */
const ASK_PASSWORD = Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3]);
const MAX_PASSWORD_MESSAGE = 1024;

export interface ProxyLimits {
  /** Bytes of one DataRow's body the proxy forwards (row-guard.ts). */
  maxRowBytes: number;
}

export function attachProxy(
  server: Server,
  resolve: ResolveTarget,
  sessions: ReadySessions,
  limits: ProxyLimits,
): WebSocketServer {
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
    (socket as Socket).setNoDelay?.(true);
    wss.handleUpgrade(req, socket, head, (ws) => relay(ws, target, sessions, limits));
  });
  return wss;
}

function relay(
  ws: WebSocket,
  target: Instance,
  sessions: ReadySessions,
  limits: ProxyLimits,
): void {
  let pending: Buffer = Buffer.alloc(0);
  let upstream: Socket | null = null;
  let phase: "startup" | "password" | "connecting" | "open" = "startup";
  let params: StartupParams = new Map();
  const queued: Buffer[] = [];
  let queuedBytes = 0;

  const fail = (message: string, sqlstate = "28000") => {
    if (ws.readyState === WebSocket.OPEN) ws.send(errorResponse(message, sqlstate));
    ws.close();
    upstream?.destroy();
  };

  ws.on("message", (data: RawData) => {
    const chunk = toBuffer(data);
    if (phase === "open" && upstream) {
      sessions.touched(target);
      if (!upstream.write(chunk)) ws.pause();
      return;
    }
    if (phase === "connecting") {
      queued.push(chunk);
      queuedBytes += chunk.length;
      // A big first batch must not pile up while the backend is being readied.
      if (queuedBytes > HIGH_WATER_BYTES) ws.pause();
      return;
    }
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    if (phase === "startup") {
      // Answer SSL/GSS negotiation ourselves (plain WebSocket; the hop to PostgreSQL is a unix socket).
      while (pending.length >= 8) {
        const len = pending.readInt32BE(0);
        const code = pending.readInt32BE(4);
        if (len === 8 && (code === SSL_REQUEST || code === GSSENC_REQUEST)) {
          ws.send(Buffer.from("N"));
          pending = pending.subarray(8);
          continue;
        }
        if (code === CANCEL_REQUEST)
          return fail("cancel requests are not proxied; use env-manager");
        if (len < 8 || len > MAX_STARTUP_BYTES) return fail("malformed startup message");
        if (pending.length < len) return;
        params = startupParams(pending.subarray(8, len));
        if (params.get("user") !== USER_ROLE) {
          return fail(`only role "${USER_ROLE}" may connect through the proxy`);
        }
        pending = pending.subarray(len);
        phase = "password";
        ws.send(ASK_PASSWORD);
        break;
      }
      if (phase === "startup") {
        if (pending.length > MAX_STARTUP_BYTES) fail("malformed startup message");
        return;
      }
    }
    // phase "password": a PasswordMessage ('p', length, the password as a C string).
    if (pending.length < 5) return;
    const len = pending.readInt32BE(1);
    if (pending[0] !== 0x70 || len < 5 || len > MAX_PASSWORD_MESSAGE) {
      return fail("expected a password message", "08P01");
    }
    if (pending.length < len + 1) return;
    const given = pending.subarray(5, len + 1);
    const rest = pending.subarray(len + 1);
    pending = Buffer.alloc(0);
    if (!passwordMatches(given, target.password)) {
      return fail(`password authentication failed for user "${USER_ROLE}"`, "28P01");
    }
    phase = "connecting";
    if (rest.length > 0) {
      queued.push(Buffer.from(rest));
      queuedBytes += rest.length;
    }
    void open();
  });

  const open = async () => {
    if (!(await target.whenUsable())) return fail("instance is not running", "57P03");
    if (ws.readyState !== WebSocket.OPEN) return;
    let session: Awaited<ReturnType<ReadySessions["take"]>>;
    try {
      session = await sessions.take(target, params);
    } catch (err) {
      if (err instanceof BackendRefused) {
        if (ws.readyState === WebSocket.OPEN) ws.send(err.response);
        ws.close();
        return;
      }
      return fail(`could not open a session: ${(err as Error).message}`, "08006");
    }
    if (ws.readyState !== WebSocket.OPEN) {
      session.socket.destroy();
      sessions.released(target);
      return;
    }
    const sock = session.socket;
    upstream = sock;
    // Once, whichever of the client or the backend ends first.
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      sessions.released(target);
    };
    sock.once("close", release);
    ws.once("close", release);
    ws.send(session.greeting);
    if (queued.length > 0) sessions.touched(target);
    for (const c of queued.splice(0)) sock.write(c);
    queuedBytes = 0;
    phase = "open";
    ws.resume();
    const rows = new RowGuard(limits.maxRowBytes);
    sock.on("data", (d: Buffer) => {
      if (ws.readyState !== WebSocket.OPEN) return;
      const { forward, oversized } = rows.push(d);
      if (forward.length > 0) ws.send(forward);
      if (oversized) return fail(rowTooLargeMessage(oversized.bytes, limits.maxRowBytes), "54000");
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
    if (sock.destroyed) ws.close();
  };

  ws.on("close", () => upstream?.destroy());
  ws.on("error", () => upstream?.destroy());
}

/** Constant-time comparison of the password the client sent with the instance's own. */
function passwordMatches(given: Buffer, expected: string): boolean {
  const want = Buffer.from(expected, "utf8");
  const end = given.indexOf(0);
  const got = end === -1 ? given : given.subarray(0, end);
  return got.length === want.length && timingSafeEqual(got, want);
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** The parameters of a StartupMessage body (after length and protocol version), in order. */
function startupParams(body: Buffer): Map<string, string> {
  const parts = body.toString("utf8").split("\0");
  const out = new Map<string, string>();
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const key = parts[i];
    if (!key) break;
    out.set(key, parts[i + 1] ?? "");
  }
  return out;
}

/** A FATAL ErrorResponse the driver shows like one from PostgreSQL itself. */
function errorResponse(message: string, sqlstate: string): Buffer {
  const fields = Buffer.from(`SFATAL\0VFATAL\0C${sqlstate}\0Mproxy: ${message}\0\0`, "utf8");
  const head = Buffer.alloc(5);
  head.write("E", 0);
  head.writeInt32BE(fields.length + 4, 1);
  return Buffer.concat([head, fields]);
}
