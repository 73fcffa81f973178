// A tiny node:http toolkit for the snapshot-cache: a method+pattern router, bearer-token checking,
// JSON bodies parsed with zod (a 400 names the offending field), and one JSON error shape
// { error: { code, message, ...details } }, the same as the Worker's.
import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { z } from "zod";
import { AppError } from "../../../src/errors.ts";

export type Reply = { status: number; body: unknown };
export type Params = Record<string, string>;
export type Handler = (req: IncomingMessage, params: Params) => Promise<Reply> | Reply;

type Route = { method: string; pattern: RegExp; keys: string[]; handler: Handler };

export class Router {
  readonly #routes: Route[] = [];

  /** `path` segments starting with `:` capture one URL segment (decoded). */
  on(method: string, path: string, handler: Handler): this {
    const keys: string[] = [];
    const source = path
      .split("/")
      .map((seg) => {
        if (!seg.startsWith(":")) return seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
        keys.push(seg.slice(1));
        return "([^/]+)";
      })
      .join("/");
    this.#routes.push({ method, pattern: new RegExp(`^${source}$`), keys, handler });
    return this;
  }

  async handle(req: IncomingMessage): Promise<Reply> {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    let pathMatched = false;
    for (const route of this.#routes) {
      const m = route.pattern.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (route.method !== req.method) continue;
      const params: Params = {};
      route.keys.forEach((key, i) => {
        try {
          params[key] = decodeURIComponent(m[i + 1] ?? "");
        } catch {
          throw new AppError(400, "invalid_request", `${key}: malformed percent-encoding`, {
            field: key,
          });
        }
      });
      return route.handler(req, params);
    }
    if (pathMatched) {
      throw new AppError(405, "method_not_allowed", `${req.method} is not allowed on ${path}`);
    }
    throw new AppError(404, "route_not_found", `no route ${req.method} ${path}`);
  }
}

export function isAuthorized(req: IncomingMessage, token: string): boolean {
  const given = Buffer.from(req.headers.authorization ?? "");
  const want = Buffer.from(`Bearer ${token}`);
  return given.length === want.length && timingSafeEqual(given, want);
}

export function send(res: ServerResponse, reply: Reply): void {
  const body = JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-store",
  });
  res.end(body);
}

/** A thrown AppError's answer; anything else is a 500 whose `id` names its log line. */
export function errorReply(err: unknown, errorId?: string): Reply {
  if (err instanceof AppError) {
    return {
      status: err.status,
      body: { error: { ...err.details, code: err.code, message: err.message } },
    };
  }
  const id = errorId === undefined ? {} : { id: errorId };
  return { status: 500, body: { error: { code: "internal", message: "internal error", ...id } } };
}

/** Reads a JSON body of at most `maxBytes`; an empty body reads as `undefined`. */
export async function readJson(req: IncomingMessage, maxBytes = 1 << 20): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buf.length;
    if (size > maxBytes) {
      throw new AppError(413, "payload_too_large", `body: larger than ${maxBytes} bytes`);
    }
    chunks.push(buf);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError(400, "invalid_json", "body: not valid JSON");
  }
}

/** Renders a zod issue path as `hashes[2].x` (`body` for the root). */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out === "" ? String(seg) : `.${String(seg)}`;
  }
  return out === "" ? "body" : out;
}

/** Parses `value`; on failure a 400 `invalid_request` whose message starts with the field. */
export function parseOr400<S extends z.ZodType>(
  schema: S,
  value: unknown,
  prefix: readonly PropertyKey[] = [],
): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => {
    const keys = issue.code === "unrecognized_keys" ? issue.keys : [];
    const path = [...prefix, ...issue.path, ...(keys.length === 1 ? keys : [])];
    const field = fieldPath(path);
    const message =
      issue.code === "unrecognized_keys"
        ? `unknown field${keys.length > 1 ? `s ${keys.join(", ")}` : ""}`
        : issue.message;
    return { field, message };
  });
  const first = issues[0] ?? { field: "body", message: "invalid" };
  return failBadRequest(first.field, first.message, issues);
}

function failBadRequest(
  field: string,
  message: string,
  issues: { field: string; message: string }[],
): never {
  throw new AppError(400, "invalid_request", `${field}: ${message}`, { field, issues });
}
