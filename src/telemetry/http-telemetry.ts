// The Worker's request middleware for operators: a request id (the gateway's `X-Request-Id`, or a
// fresh one, echoed back), the gateway's `traceparent` (a server span around the request; calls
// made while handling it carry it on), `sql_runner_http_requests_total{route, status}` by route
// template, one audit record per user action and per refused request, and a flush of the
// isolate's telemetry through `waitUntil` once the answer is ready.
import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import type { AuditAction } from "../clients/contracts/audit-log.ts";
import { parseTraceparent } from "../clients/contracts/trace-context.ts";
import { describeInternal, logLine, newErrorId } from "./log.ts";
import { audit, configureTelemetry, flushTelemetry, recordMetric, withSpan } from "./telemetry.ts";

export interface RequestInfo {
  requestId: string;
  traceId: string | null;
  jobId: string | null;
  userId: string | null;
  /** The `error.code` of the answer, when it is an error. */
  code: string | null;
}

const infos = new WeakMap<Request, RequestInfo>();
const JOB_PATH = /^\/v1\/jobs\/([0-9a-f]{32})(?:\/|$)/;
/** Routes whose successful calls are not audited (reads and probes); refusals always are. */
const QUIET = new Set<AuditAction>(["job.view", "job.logs", "request"]);

/** What the middleware knows about the request `c` is answering (ids for logs and errors). */
export function requestInfo(c: Context): RequestInfo | null {
  return infos.get(c.req.raw) ?? null;
}

/** Records the error code of the answer (the error handler calls it). */
export function noteErrorCode(c: Context, code: string): void {
  const info = infos.get(c.req.raw);
  if (info) info.code = code;
}

/**
 * A 5xx answer: logs the error with a fresh error id and the request's ids, and returns the body
 * `{ code: "internal", message, id }` (the id lets support find the line; no detail leaks).
 */
export function internalErrorBody(
  c: Context,
  err: unknown,
): { code: string; message: string; id: string } {
  const id = newErrorId();
  const info = infos.get(c.req.raw);
  logLine("error", "internal_error", {
    error_id: id,
    request_id: info?.requestId,
    job_id: info?.jobId,
    trace_id: info?.traceId,
    route: new URL(c.req.url).pathname.startsWith("/v1/jobs") ? "/v1/jobs/..." : null,
    ...describeInternal(err),
  });
  return { code: "internal", message: "internal error", id };
}

/** Lets a handler name the job and user of its request when they come from the body (create). */
export function noteJob(c: Context, jobId: string, userId: string, requestId?: string): void {
  const info = infos.get(c.req.raw);
  if (!info) return;
  info.jobId = jobId;
  info.userId = userId;
  if (requestId && !c.req.header("x-request-id")) info.requestId = requestId;
}

function actionOf(method: string, route: string, accept: string): AuditAction {
  const tail = route.startsWith("/v1/jobs") ? route.slice("/v1/jobs".length) : null;
  if (tail === null) return "request";
  if (method === "POST" && tail === "") return "job.create";
  if (method === "POST" && tail === "/:job_id/append") return "job.append";
  if (method === "POST" && tail === "/:job_id/run") return "job.run";
  if (method === "POST" && tail === "/:job_id/cancel") return "job.cancel";
  if (method === "POST" && tail === "/:job_id/ticket") return "job.ticket";
  if (method === "GET" && tail === "/:job_id/ws") return "job.subscribe";
  if (method === "GET" && tail === "/:job_id/logs") {
    return accept.includes("text/event-stream") ? "job.subscribe" : "job.logs";
  }
  if (method === "GET" && tail === "/:job_id") return "job.view";
  return "request";
}

/**
 * The route template of the handler the request was meant for. Middleware ("*") also matches, and
 * sub-apps mounted on the same prefix add theirs after it, so neither the last matched route nor
 * the last one run names it: a gateway refusal (401) stops before the handler ever runs.
 */
export function handlerRoute(c: Context): string {
  const handler = matchedRoutes(c).find((r) => !r.path.endsWith("*"));
  return handler?.path ?? "unmatched";
}

function waitUntil(c: Context, p: Promise<unknown>): void {
  try {
    c.executionCtx.waitUntil(p);
  } catch {
    // No execution context (app.request in a unit test): let it run on its own.
  }
}

export function operatorTelemetry(): MiddlewareHandler<{ Bindings: Env }> {
  return async (c, next) => {
    configureTelemetry(c.env);
    const upstream = parseTraceparent(c.req.header("traceparent"));
    const given = c.req.header("x-request-id")?.trim();
    const info: RequestInfo = {
      requestId: given && given.length <= 200 ? given : `req_${crypto.randomUUID()}`,
      traceId: upstream?.traceId ?? null,
      jobId: JOB_PATH.exec(new URL(c.req.url).pathname)?.[1] ?? null,
      userId: c.req.header("x-user-id")?.trim().slice(0, 200) || null,
      code: null,
    };
    infos.set(c.req.raw, info);
    const method = c.req.method;
    let route = "unmatched";
    const attrs: Record<string, string | number> = { "http.method": method };
    await withSpan(`HTTP ${method}`, upstream, attrs, async () => {
      await next();
      route = handlerRoute(c);
      attrs["http.route"] = route;
      attrs["http.status_code"] = c.res.status;
    });
    const status = c.res.status;
    recordMetric("sql_runner_http_requests_total", { route, status: String(status) });
    const action = actionOf(method, route, c.req.header("accept") ?? "");
    const probe = route === "/healthz" || route === "/readyz";
    if (!probe && (status >= 400 || !QUIET.has(action))) {
      audit({
        action,
        result: status >= 500 ? "error" : status >= 400 ? "refused" : "ok",
        request_id: info.requestId,
        job_id: info.jobId,
        // An unauthenticated call's X-User-Id is only a claim: not recorded as the actor.
        user_id: status === 401 ? null : info.userId,
        route,
        method,
        status,
        code: info.code,
        trace_id: info.traceId,
      });
    }
    try {
      c.res.headers.set("x-request-id", info.requestId);
    } catch {
      // A WebSocket upgrade's response headers are immutable.
    }
    waitUntil(c, flushTelemetry());
  };
}
