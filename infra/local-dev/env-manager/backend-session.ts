// A PostgreSQL backend session the proxy opens itself over an instance's unix socket: startup,
// SCRAM-SHA-256 (RFC 5802/7677) with the per-instance password, until ReadyForQuery. The bytes the
// server sent from AuthenticationOk on (ParameterStatus, BackendKeyData, ReadyForQuery) are kept so
// the proxy can replay them to the client it hands this session to. Also runs one simple query
// (the layer's type names) before a hand-off.
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from "node:crypto";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { SOCKET_PORT } from "../postgres/settings.ts";

export type StartupParams = ReadonlyMap<string, string>;

export interface BackendSession {
  socket: Socket;
  params: StartupParams;
  /** AuthenticationOk through ReadyForQuery, as the server sent them. */
  greeting: Buffer;
}

/** PostgreSQL refused the session; `response` is its ErrorResponse, to forward as-is. */
export class BackendRefused extends Error {
  readonly response: Buffer;
  constructor(message: string, response: Buffer) {
    super(message);
    this.response = response;
  }
}

const PROTOCOL_3 = 196608;
const HANDSHAKE_TIMEOUT_MS = 10_000;

export function startupMessage(params: StartupParams): Buffer {
  const parts: Buffer[] = [];
  for (const [k, v] of params) parts.push(Buffer.from(`${k}\0${v}\0`, "utf8"));
  parts.push(Buffer.from([0]));
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(8);
  head.writeInt32BE(body.length + 8, 0);
  head.writeInt32BE(PROTOCOL_3, 4);
  return Buffer.concat([head, body]);
}

function message(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, "latin1");
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

/** Reads whole protocol messages off a socket as they arrive. */
class Reader {
  private buf: Buffer = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  private ended: Error | null = null;
  constructor(socket: Socket) {
    socket.on("data", (d: Buffer) => {
      this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
      for (const w of this.waiters.splice(0)) w();
    });
    const end = (err?: Error) => {
      this.ended = err ?? new Error("the server closed the connection");
      for (const w of this.waiters.splice(0)) w();
    };
    socket.on("close", () => end());
    socket.on("error", (err) => end(err));
  }
  /** Next message: type, body, and its raw bytes. */
  async next(): Promise<{ type: string; body: Buffer; raw: Buffer }> {
    for (;;) {
      if (this.buf.length >= 5) {
        const len = this.buf.readInt32BE(1);
        if (len < 4 || len > 1 << 20) throw new Error("malformed message from the server");
        if (this.buf.length >= len + 1) {
          const raw = this.buf.subarray(0, len + 1);
          this.buf = this.buf.subarray(len + 1);
          return { type: String.fromCharCode(raw[0] ?? 0), body: raw.subarray(5), raw };
        }
      }
      if (this.ended) throw this.ended;
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }
  /** Bytes received past the last message read. */
  rest(): Buffer {
    return this.buf;
  }
}

function errorText(body: Buffer): string {
  const fields = body.toString("utf8").split("\0");
  const m = fields.find((f) => f.startsWith("M"));
  return m ? m.slice(1) : "error";
}

function hmac(key: Buffer, data: string): Buffer {
  return createHmac("sha256", key).update(data).digest();
}

/** Opens and authenticates a session as `params.user` with `password`. */
export async function openBackend(
  socketDir: string,
  params: StartupParams,
  password: string,
): Promise<BackendSession> {
  const socket = connect(join(socketDir, `.s.PGSQL.${SOCKET_PORT}`));
  socket.setNoDelay?.(true);
  const reader = new Reader(socket);
  const timer = setTimeout(
    () => socket.destroy(new Error("session handshake timed out")),
    HANDSHAKE_TIMEOUT_MS,
  );
  try {
    socket.write(startupMessage(params));
    const clientNonce = randomBytes(18).toString("base64");
    const clientFirstBare = `n=*,r=${clientNonce}`;
    let expectedServerSig: Buffer | null = null;
    const greeting: Buffer[] = [];
    for (;;) {
      const msg = await reader.next();
      if (msg.type === "E") throw new BackendRefused(errorText(msg.body), msg.raw);
      if (msg.type === "R") {
        const code = msg.body.readInt32BE(0);
        if (code === 10) {
          const first = Buffer.from(`n,,${clientFirstBare}`, "utf8");
          const len = Buffer.alloc(4);
          len.writeInt32BE(first.length, 0);
          socket.write(message("p", Buffer.concat([Buffer.from("SCRAM-SHA-256\0"), len, first])));
        } else if (code === 11) {
          const serverFirst = msg.body.subarray(4).toString("utf8");
          const attrs = new Map(serverFirst.split(",").map((p) => [p[0], p.slice(2)] as const));
          const nonce = attrs.get("r") ?? "";
          const salt = Buffer.from(attrs.get("s") ?? "", "base64");
          const iterations = Number(attrs.get("i"));
          if (!nonce.startsWith(clientNonce) || !Number.isInteger(iterations) || iterations < 1) {
            throw new Error("SCRAM: bad server-first message");
          }
          const salted = pbkdf2Sync(password, salt, iterations, 32, "sha256");
          const clientKey = hmac(salted, "Client Key");
          const storedKey = createHash("sha256").update(clientKey).digest();
          const finalNoProof = `c=biws,r=${nonce}`;
          const auth = `${clientFirstBare},${serverFirst},${finalNoProof}`;
          const sig = createHmac("sha256", storedKey).update(auth).digest();
          const proof = Buffer.from(clientKey.map((b, i) => b ^ (sig[i] ?? 0)));
          expectedServerSig = createHmac("sha256", hmac(salted, "Server Key"))
            .update(auth)
            .digest();
          const final = `${finalNoProof},p=${proof.toString("base64")}`;
          socket.write(message("p", Buffer.from(final, "utf8")));
        } else if (code === 12) {
          const v = msg.body.subarray(4).toString("utf8");
          const got = Buffer.from(v.startsWith("v=") ? v.slice(2) : "", "base64");
          if (!expectedServerSig || got.length !== expectedServerSig.length) {
            throw new Error("SCRAM: bad server signature");
          }
          if (!timingSafeEqual(got, expectedServerSig)) throw new Error("SCRAM: bad signature");
        } else if (code === 3) {
          socket.write(message("p", Buffer.from(`${password}\0`, "utf8")));
        } else if (code === 0) {
          greeting.push(msg.raw);
        } else {
          throw new Error(`unsupported authentication request ${code}`);
        }
        continue;
      }
      greeting.push(msg.raw);
      if (msg.type === "Z") break;
    }
    const rest = reader.rest();
    if (rest.length > 0) greeting.push(Buffer.from(rest));
    socket.removeAllListeners("data");
    socket.removeAllListeners("close");
    socket.removeAllListeners("error");
    socket.on("error", () => {});
    return { socket, params, greeting: Buffer.concat(greeting) };
  } catch (err) {
    socket.destroy();
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs one simple query on an idle session and returns its rows as text (null for NULL). The
 * session is idle again afterwards; its listeners are removed.
 */
export async function simpleQuery(session: BackendSession, sql: string): Promise<string[][]> {
  const { socket } = session;
  const reader = new Reader(socket);
  try {
    socket.write(message("Q", Buffer.from(`${sql}\0`, "utf8")));
    const rows: string[][] = [];
    let failure: string | null = null;
    for (;;) {
      const msg = await reader.next();
      if (msg.type === "D") {
        const n = msg.body.readInt16BE(0);
        let at = 2;
        const row: string[] = [];
        for (let i = 0; i < n; i++) {
          const len = msg.body.readInt32BE(at);
          at += 4;
          row.push(len < 0 ? "" : msg.body.toString("utf8", at, at + len));
          if (len > 0) at += len;
        }
        rows.push(row);
      } else if (msg.type === "E") failure = errorText(msg.body);
      else if (msg.type === "Z") break;
    }
    if (failure) throw new Error(failure);
    return rows;
  } finally {
    socket.removeAllListeners("data");
    socket.removeAllListeners("close");
    socket.removeAllListeners("error");
    socket.on("error", () => {});
  }
}
