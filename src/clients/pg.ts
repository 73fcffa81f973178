// Opens an `@neondatabase/serverless` Client to a PostgreSQL instance through the platform's
// WebSocket-to-TCP proxy (`ws://<ws_proxy>/v2?address=<host>:<port>`). Settings from measurement:
// plain ws (the hop is loopback or the platform's own network), no pipelining, and no write
// coalescing (1.7 ms -> 0.35 ms per round trip). SCRAM's key derivation runs as one WebCrypto PBKDF2
// call instead of the driver's 4,096 awaited HMACs (measured: the driver's way costs 100-400 ms per
// connection under load; one deriveBits call a few ms).
import { Buffer } from "node:buffer";
import { Client } from "@neondatabase/serverless";
import { type PgConnection, SESSION_APPLICATION_NAME } from "./contracts/pg-connection.ts";

interface SaslSession {
  message: string;
  clientNonce: string;
  serverSignature?: string;
  response?: string;
}

interface SaslInternals {
  saslSession: SaslSession;
  password: unknown;
  connection: { sendSCRAMClientFinalMessage(response: string): void };
}

const enc = new TextEncoder();

async function hmac(key: Uint8Array, message: Uint8Array | string): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  const data = typeof message === "string" ? enc.encode(message) : message;
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, data));
}

/** SCRAM-SHA-256 client-final message and expected server signature (RFC 5802, RFC 7677). */
export async function scramClientFinal(
  session: Pick<SaslSession, "clientNonce">,
  password: string,
  serverFirst: string,
  /** PostgreSQL sends `*` (the user name is in the startup message). */
  user = "*",
): Promise<{ response: string; serverSignature: string }> {
  const attrs = new Map(serverFirst.split(",").map((p) => [p[0], p.slice(2)] as const));
  const nonce = attrs.get("r") ?? "";
  const salt = attrs.get("s") ?? "";
  const iterations = Number(attrs.get("i"));
  if (!nonce.startsWith(session.clientNonce) || nonce.length === session.clientNonce.length) {
    throw new Error("SASL: SCRAM-SERVER-FIRST-MESSAGE: bad server nonce");
  }
  if (!salt || !Number.isInteger(iterations) || iterations < 1) {
    throw new Error("SASL: SCRAM-SERVER-FIRST-MESSAGE: missing salt or iteration count");
  }
  const pw = await crypto.subtle.importKey("raw", enc.encode(password), "PBKDF2", false, [
    "deriveBits",
  ]);
  const salted = new Uint8Array(
    await crypto.subtle.deriveBits(
      { name: "PBKDF2", hash: "SHA-256", salt: Buffer.from(salt, "base64"), iterations },
      pw,
      256,
    ),
  );
  const clientKey = await hmac(salted, "Client Key");
  const storedKey = new Uint8Array(await crypto.subtle.digest("SHA-256", clientKey));
  const finalWithoutProof = `c=biws,r=${nonce}`;
  const authMessage = `n=${user},r=${session.clientNonce},${serverFirst},${finalWithoutProof}`;
  const clientSignature = await hmac(storedKey, authMessage);
  const proof = clientKey.map((b, i) => b ^ (clientSignature[i] ?? 0));
  const serverSignature = await hmac(await hmac(salted, "Server Key"), authMessage);
  return {
    response: `${finalWithoutProof},p=${Buffer.from(proof).toString("base64")}`,
    serverSignature: Buffer.from(serverSignature).toString("base64"),
  };
}

class PgClient extends Client {
  override async _handleAuthSASLContinue(msg: { data: string }): Promise<void> {
    const self = this as unknown as SaslInternals;
    const session = self.saslSession;
    if (session.message !== "SASLInitialResponse" || typeof self.password !== "string") {
      throw new Error("SASL: protocol error");
    }
    const { response, serverSignature } = await scramClientFinal(session, self.password, msg.data);
    session.message = "SASLResponse";
    session.serverSignature = serverSignature;
    session.response = response;
    self.connection.sendSCRAMClientFinalMessage(response);
  }
}

/** The WebSocket proxy address for a PostgreSQL host:port (without the `ws://` scheme). */
export function proxyAddress(
  conn: Pick<PgConnection, "ws_proxy">,
  host: string,
  port: number | string,
) {
  return `${conn.ws_proxy}/v2?address=${host}:${port}`;
}

/**
 * Connects a Client for `conn` (or another `database` of the same instance). The Client gets an
 * 'error' listener: after `end()` the driver emits "Network connection lost", which would otherwise
 * be an unhandled error. Errors while a query runs still reject that query.
 */
export async function connectPg(conn: PgConnection, database?: string): Promise<Client> {
  const client = new PgClient({
    host: conn.host,
    port: conn.port,
    user: conn.user,
    password: conn.password,
    database: database ?? conn.database,
    application_name: SESSION_APPLICATION_NAME,
  });
  client.neonConfig.wsProxy = (host, port) => proxyAddress(conn, host, port);
  client.neonConfig.useSecureWebSocket = false;
  client.neonConfig.pipelineTLS = false;
  // The platform's proxy asks for the password in cleartext and checks it itself: sent with the
  // startup message, the connect costs no round trip beyond the WebSocket upgrade.
  client.neonConfig.pipelineConnect = "password";
  client.neonConfig.coalesceWrites = false;
  client.on("error", () => {});
  holdStartupNotices(client);
  trackParameters(client);
  await client.connect();
  return client;
}

const parameters = new WeakMap<Client, Map<string, string>>();

/**
 * What the server last reported for a parameter it reports (ParameterStatus: at startup, and after
 * a statement changed it), as libpq's PQparameterStatus answers psql: undefined if never reported.
 */
export function serverParameter(client: Client, name: string): string | undefined {
  return parameters.get(client)?.get(name);
}

/**
 * The server's standard_conforming_strings as it last reported it (psql reads it after every
 * query the same way): a lexer reads backslashes in '...' as escapes while it is off. On when
 * there is no session yet (PostgreSQL's default).
 */
export function standardConformingStrings(client: Client | undefined): boolean {
  return !client || serverParameter(client, "standard_conforming_strings") !== "off";
}

/** Records every ParameterStatus, from the startup ones on (the listener is there before them). */
function trackParameters(client: Client): void {
  const seen = new Map<string, string>();
  parameters.set(client, seen);
  // The driver's Connection emits each backend message under its name; its typings omit it.
  const connection = (client as unknown as { connection: ParameterSource }).connection;
  connection.on("parameterStatus", (m) => seen.set(m.parameterName, m.parameterValue));
}

interface ParameterSource {
  on(
    event: "parameterStatus",
    fn: (m: { parameterName: string; parameterValue: string }) => void,
  ): void;
}

/** Notices held for the first listener at most; a login trigger raising more loses the rest. */
export const MAX_HELD_NOTICES = 1000;

/**
 * Notices the server sends while the session starts (a login event trigger's RAISE NOTICE, which
 * psql prints after `\c`) arrive before the caller could listen: with the pipelined connect they
 * come with the greeting. They are held and handed to the first "notice" listener added, in
 * order and before any later notice (a microtask runs before the next socket read).
 */
function holdStartupNotices(client: Client): void {
  // The driver's Client is an EventEmitter; its typings list only the driver's own events.
  const emitter = client as unknown as {
    on(event: string, fn: (...args: never[]) => void): void;
    off(event: string, fn: (...args: never[]) => void): void;
    emit(event: string, ...args: unknown[]): boolean;
  };
  const held: unknown[] = [];
  const hold = (n: unknown) => {
    if (held.length < MAX_HELD_NOTICES) held.push(n);
  };
  emitter.on("notice", hold);
  const onNewListener = (event: string | symbol) => {
    if (event !== "notice") return;
    emitter.off("newListener", onNewListener);
    emitter.off("notice", hold);
    queueMicrotask(() => {
      for (const n of held.splice(0)) emitter.emit("notice", n);
    });
  };
  emitter.on("newListener", onNewListener);
}
