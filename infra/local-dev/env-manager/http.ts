// A tiny router over node:http: bearer-token check, JSON bodies with a size cap, route params, and
// one error shape { error: { code, message } } (429/503 carry Retry-After; a 500 also carries the
// `id` of its log line).
import { randomUUID, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { parseTraceparent } from "../../../src/clients/contracts/trace-context.ts";
import { errorFields, noteResponseCode, type ServiceLog, serviceLog } from "../service-log.ts";
import { routeTemplate } from "../telemetry/service-telemetry.ts";
import { EnvError } from "./errors.ts";

export interface Ctx {
  params: Record<string, string>;
  query: URLSearchParams;
  body: () => Promise<unknown>;
}

type Handler = (ctx: Ctx) => Promise<{ status?: number; json: unknown }>;

interface Route {
  method: string;
  pattern: RegExp;
  keys: string[];
  handler: Handler;
}

const MAX_BODY_BYTES = 64 * 1024;

export class Router {
  private readonly routes: Route[] = [];
  private readonly token: Buffer;
  private readonly log: ServiceLog;

  constructor(token: string, log: ServiceLog = serviceLog("env-manager")) {
    this.token = Buffer.from(token);
    this.log = log;
  }

  on(method: string, path: string, handler: Handler): this {
    const keys: string[] = [];
    const source = path.replace(/:([a-z_]+)/g, (_, k: string) => {
      keys.push(k);
      return "([^/]+)";
    });
    this.routes.push({ method, pattern: new RegExp(`^${source}$`), keys, handler });
    return this;
  }

  handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      if (!this.authorized(req.headers.authorization)) {
        throw new EnvError(401, "unauthorized", "missing or wrong bearer token");
      }
      const url = new URL(req.url ?? "/", "http://x");
      const path = url.pathname;
      let pathMatched = false;
      for (const route of this.routes) {
        const m = route.pattern.exec(path);
        if (!m) continue;
        pathMatched = true;
        if (route.method !== req.method) continue;
        const params: Record<string, string> = {};
        route.keys.forEach((k, i) => {
          params[k] = decodeURIComponent(m[i + 1] ?? "");
        });
        const out = await route.handler({
          params,
          query: url.searchParams,
          body: () => readJson(req),
        });
        return send(res, out.status ?? 200, out.json);
      }
      if (pathMatched) throw new EnvError(405, "method_not_allowed", `${req.method} ${path}`);
      throw new EnvError(404, "not_found", `no route ${req.method} ${path}`);
    } catch (err) {
      if (err instanceof EnvError) {
        const headers: Record<string, string> = {};
        if (err.retryAfterS !== undefined) headers["retry-after"] = String(err.retryAfterS);
        noteResponseCode(res, err.code);
        return send(res, err.status, { error: { code: err.code, message: err.message } }, headers);
      }
      const id = randomUUID();
      this.log.error("internal_error", {
        error_id: id,
        trace_id: parseTraceparent(req.headers.traceparent as string | undefined)?.traceId,
        method: req.method,
        route: routeTemplate(new URL(req.url ?? "/", "http://x").pathname),
        status: 500,
        code: "internal",
        ...errorFields(err),
      });
      noteResponseCode(res, "internal");
      return send(res, 500, { error: { code: "internal", message: "internal error", id } });
    }
  };

  private authorized(header: string | undefined): boolean {
    const m = /^Bearer (.+)$/.exec(header ?? "");
    if (!m?.[1]) return false;
    const given = Buffer.from(m[1]);
    return given.length === this.token.length && timingSafeEqual(given, this.token);
  }
}

function send(
  res: ServerResponse,
  status: number,
  json: unknown,
  headers: Record<string, string> = {},
): void {
  const body = JSON.stringify(json);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new EnvError(413, "body_too_large", "body: over 64 KiB");
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text === "") return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new EnvError(400, "validation_failed", "body: not valid JSON");
  }
}
