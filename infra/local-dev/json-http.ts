// The few node:http pieces the small reference services (telemetry exporter, audit-log) share: a
// JSON error with a status, a capped body reader, a JSON sender, a bearer check and a server
// that maps thrown errors to `{ error: { code, message } }` (a 500 also names the `id` of the log
// line it wrote).
import { randomUUID, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { errorFields, type ServiceLog } from "./service-log.ts";

export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes)
      throw new HttpError(413, "payload_too_large", `body over ${maxBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown;
  } catch {
    throw new HttpError(400, "invalid_json", "body is not valid JSON");
  }
}

export function sendText(res: ServerResponse, status: number, body: string, type: string): void {
  res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body) });
  res.end(body);
}

export function sendJson(res: ServerResponse, status: number, json: unknown): void {
  sendText(res, status, JSON.stringify(json), "application/json");
}

export function bearerMatches(req: IncomingMessage, token: string): boolean {
  const given = Buffer.from(req.headers.authorization ?? "");
  const want = Buffer.from(`Bearer ${token}`);
  return given.length === want.length && timingSafeEqual(given, want);
}

/**
 * Listens on 127.0.0.1:`port` (0: any free port); a thrown HttpError becomes its JSON answer,
 * anything else a 500 with an error id that `log` gets a line for.
 */
export async function listenJson(
  port: number,
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  log: ServiceLog,
): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (err instanceof HttpError) {
        if (res.headersSent) res.destroy();
        else sendJson(res, err.status, { error: { code: err.code, message: err.message } });
        return;
      }
      const id = randomUUID();
      log.error("internal_error", {
        error_id: id,
        method: req.method,
        path: new URL(req.url ?? "/", "http://localhost").pathname,
        status: 500,
        code: "internal",
        ...errorFields(err),
      });
      if (res.headersSent) res.destroy();
      else sendJson(res, 500, { error: { code: "internal", message: "internal error", id } });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
