// Live progress routes. `GET /v1/jobs/{id}/ws` authenticates by ticket (or the gateway token) and
// forwards the upgrade to the job's Durable Object, which accepts it with the hibernation API;
// `GET /live` serves a minimal page that follows a job. The gateway-only pieces (issuing a ticket,
// SSE on `logs`) are handlers the jobs routes call.
import { createRoute, z } from "@hono/zod-openapi";
import { AppError } from "../errors.ts";
import { JOB_ID_PATTERN } from "../jobs/job-id.ts";
import { notFound, unwrap } from "../jobs/outcome.ts";
import { LIVE_PAGE } from "../live/page.ts";
import { LIVE_AFTER_HEADER, LIVE_USER_HEADER } from "../live/subscribe.ts";
import type { JobObject } from "../objects/job-object.ts";
import { issueTicket, parseCursor, subscriberOf } from "./live-access.ts";
import { apiRoutes, errors, openApiRoute, tooManySubscribers } from "./openapi-route.ts";
import { JobParams, type TicketResponse } from "./schemas.ts";

type JobStub = DurableObjectStub<JobObject>;

export const liveRoutes = apiRoutes();

openApiRoute(
  liveRoutes,
  createRoute({
    method: "get",
    path: "/live",
    operationId: "livePage",
    summary: "A minimal page that follows a job's events (docs/live.md)",
    security: [],
    responses: {
      200: { description: "the page", content: { "text/html": { schema: z.string() } } },
      ...errors(),
    },
  }),
  (c) =>
    c.html(LIVE_PAGE, 200, { "cache-control": "no-store", "x-content-type-options": "nosniff" }),
);

openApiRoute(
  liveRoutes,
  createRoute({
    method: "get",
    path: "/v1/jobs/{job_id}/ws",
    operationId: "jobWebSocket",
    summary: "WebSocket upgrade: the job's numbered events (`?ticket=`, `?after=`)",
    description: "Authenticated by `?ticket=` or by the gateway's bearer token (with X-User-Id).",
    security: [],
    parameters: [
      { name: "ticket", in: "query", schema: { type: "string" } },
      { name: "after", in: "query", schema: { type: "integer", minimum: 0 } },
    ],
    request: { params: JobParams },
    responses: {
      101: { description: "switching protocols" },
      ...errors(400, 401, 403, 404, 426, 503),
      ...tooManySubscribers,
    },
  }),
  async (c) => {
    const jobId = c.req.param("job_id");
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
      throw new AppError(426, "upgrade_required", "this endpoint only accepts a WebSocket upgrade");
    }
    const user = await subscriberOf(c.env, c.req.raw, jobId);
    if (!JOB_ID_PATTERN.test(jobId)) throw notFound();
    const after = parseCursor(c.req.query("after"), "after");
    const headers = new Headers(c.req.raw.headers);
    headers.set(LIVE_USER_HEADER, user);
    headers.set(LIVE_AFTER_HEADER, String(after));
    const stub = c.env.JOBS.get(c.env.JOBS.idFromName(jobId));
    return stub.fetch(new Request(c.req.url, { headers }));
  },
);

/** `POST /v1/jobs/{id}/ticket` (behind the gateway check): a ticket for the job's owner. */
export async function ticketAnswer(
  env: Env,
  stub: JobStub,
  jobId: string,
  user: string,
  requestUrl: string,
): Promise<z.infer<typeof TicketResponse>> {
  unwrap(await stub.liveOwner(user));
  return issueTicket(env, jobId, user, requestUrl);
}

/** True when a `logs` request asks for Server-Sent Events. */
export function wantsEventStream(request: Request): boolean {
  return (request.headers.get("accept") ?? "").includes("text/event-stream");
}

/** `GET /v1/jobs/{id}/logs` as SSE: resumes after `Last-Event-ID`, else after `?after=`. */
export async function eventStreamResponse(
  stub: JobStub,
  user: string,
  request: Request,
  after: number,
): Promise<Response> {
  const lastEventId = request.headers.get("last-event-id");
  const cursor = lastEventId === null ? after : parseCursor(lastEventId, "Last-Event-ID");
  const stream = unwrap(await stub.liveStream(user, cursor));
  // 204 tells EventSource the job is over and there is nothing left: do not reconnect.
  if (stream === null) return new Response(null, { status: 204 });
  return new Response(stream, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      "x-accel-buffering": "no",
    },
  });
}
