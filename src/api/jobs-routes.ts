// The jobs routes (/v1/jobs...): validate with zod, derive the job's Durable Object, call it over
// RPC. Another user's job answers exactly like a missing one (404 `not_found`). Each route is
// declared once (createRoute): hono mounts it and the OpenAPI document describes it from that.
import { createRoute, type z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { JOB_ID_PATTERN, jobIdFor } from "../jobs/job-id.ts";
import { DEFAULTS } from "../jobs/job-input.ts";
import { jobLinks } from "../jobs/job-view.ts";
import { notFound, unwrap } from "../jobs/outcome.ts";
import { leasedContent } from "../lifecycle/content-lease.ts";
import { admitCreate, PLAN_HEADER } from "../lifecycle/plans.ts";
import { limitBody } from "../limits/body.ts";
import { offloadTree } from "../limits/offload.ts";
import type { JobObject } from "../objects/job-object.ts";
import { noteJob } from "../telemetry/http-telemetry.ts";
import { requireGateway, userFromHeader } from "./auth.ts";
import { eventStreamResponse, ticketAnswer, wantsEventStream } from "./live-routes.ts";
import {
  apiRoutes,
  errors,
  json,
  openApiRoute,
  tooManyJobs,
  tooManySubscribers,
} from "./openapi-route.ts";
import {
  AppendBody,
  AppendResponse,
  CancelResponse,
  CreateJobBody,
  CreateJobResponse,
  JobParams,
  JobView,
  LogsQuery,
  LogsResponse,
  planHeader,
  ResultPage,
  ResultQuery,
  RunBody,
  RunJobResponse,
  TicketResponse,
  userHeader,
  ViewQuery,
} from "./schemas.ts";

/** The job a `/v1/jobs/{job_id}...` call acts on, resolved once per request (see `resolveJob`). */
interface JobCall {
  id: string;
  user: string;
  stub: DurableObjectStub<JobObject>;
}

export type JobApp = { Bindings: Env; Variables: { job: JobCall } };

export function jobStub(env: Env, jobId: string): DurableObjectStub<JobObject> {
  if (!JOB_ID_PATTERN.test(jobId)) throw notFound();
  return env.JOBS.get(env.JOBS.idFromName(jobId));
}

/** `{job_id}` + `X-User-Id` -> the job's stub, once per request: the first handler of every route
 * on an existing job (a missing user is 400, a malformed id the same 404 as a missing job). */
export const resolveJob: MiddlewareHandler<JobApp> = async (c, next) => {
  const user = userFromHeader(c.req.header("x-user-id"));
  const id = c.req.param("job_id") ?? "";
  c.set("job", { id, user, stub: jobStub(c.env, id) });
  await next();
};

/** What every route on an existing job declares: its id, the acting user, `resolveJob` first. */
export const onJob = {
  middleware: [resolveJob],
  parameters: [userHeader],
  request: { params: JobParams },
};

export const jobsRoutes = apiRoutes<JobApp>();

jobsRoutes.use("*", requireGateway());
jobsRoutes.on("POST", "*", limitBody());

openApiRoute(
  jobsRoutes,
  createRoute({
    method: "post",
    path: "/",
    operationId: "createJob",
    summary: "Create a job (short: starts at once; long: assemble with append, then run)",
    parameters: [planHeader],
    request: {
      body: { required: true, content: { "application/json": { schema: CreateJobBody } } },
    },
    responses: {
      202: json(CreateJobResponse, "accepted"),
      ...errors(400, 401, 403, 409, 413, 422),
      ...tooManyJobs,
    },
  }),
  async (c) => {
    const body = c.req.valid("json");
    const plan = admitCreate(c.env, c.req.header(PLAN_HEADER), body);
    const jobId = await jobIdFor(body.user_id, body.request_id);
    noteJob(c, jobId, body.user_id, body.request_id);
    const content = leasedContent(c.env, Date.now() + body.job_ttl * 1000, body.user_id);
    body.project_tree = await offloadTree(body.project_tree, content);
    const out = unwrap(
      await jobStub(c.env, jobId).create(
        { job_id: jobId, body, traceparent: c.req.header("traceparent") ?? null },
        plan,
      ),
    );
    const answer = {
      job_id: jobId,
      status: out.status,
      created: out.created,
      links: jobLinks(jobId),
    };
    return c.json(answer, 202);
  },
);

openApiRoute(
  jobsRoutes,
  createRoute({
    method: "post",
    path: "/{job_id}/append",
    operationId: "appendPart",
    summary: "Add a numbered part of the project tree to a long job",
    ...onJob,
    request: {
      ...onJob.request,
      body: { required: true, content: { "application/json": { schema: AppendBody } } },
    },
    responses: {
      200: json(AppendResponse, "stored"),
      ...errors(400, 401, 404, 409, 413, 422),
    },
  }),
  async (c) => {
    const { id, user, stub } = c.var.job;
    const body = c.req.valid("json");
    // The edge does not know the job's expiry: the job renews the lease when it stores the part.
    const content = leasedContent(c.env, Date.now() + DEFAULTS.jobTtl * 1000, user);
    body.project_tree = (await offloadTree(body.project_tree, content)) ?? body.project_tree;
    const out = unwrap(await stub.append(user, body));
    return c.json({ job_id: id, part: body.part, ...out }, 200);
  },
);

openApiRoute(
  jobsRoutes,
  createRoute({
    method: "post",
    path: "/{job_id}/run",
    operationId: "runJob",
    summary: "Start an assembled long job",
    ...onJob,
    request: {
      ...onJob.request,
      body: { required: false, content: { "application/json": { schema: RunBody } } },
    },
    responses: {
      202: json(RunJobResponse, "started"),
      ...errors(400, 401, 404, 409, 413, 422),
      ...tooManyJobs,
    },
  }),
  async (c) => {
    const { id, user, stub } = c.var.job;
    const out = unwrap(await stub.run(user, c.req.valid("json")));
    return c.json({ job_id: id, status: out.status, links: jobLinks(id) }, 202);
  },
);

openApiRoute(
  jobsRoutes,
  createRoute({
    method: "get",
    path: "/{job_id}",
    operationId: "getJob",
    summary: "The job: status, stages, snapshot, result, error, metrics, last log lines",
    ...onJob,
    request: { ...onJob.request, query: ViewQuery },
    responses: { 200: json(JobView, "the job"), ...errors(400, 401, 404) },
  }),
  async (c) => {
    const { user, stub } = c.var.job;
    // The stub's RPC types come back loose: the declared type is what the handler is held to.
    const view: z.infer<typeof JobView> = unwrap(
      await stub.view(user, c.req.valid("query").wait_ms),
    );
    return c.json(view, 200);
  },
);

openApiRoute(
  jobsRoutes,
  createRoute({
    method: "get",
    path: "/{job_id}/logs",
    operationId: "jobEvents",
    summary:
      "Numbered events after a cursor; `Accept: text/event-stream` gives Server-Sent Events (docs/live.md)",
    ...onJob,
    parameters: [
      userHeader,
      {
        name: "Last-Event-ID",
        in: "header",
        description: "SSE only: resume after this seq (wins over `after`)",
        schema: { type: "integer", minimum: 0 },
      },
    ],
    request: { ...onJob.request, query: LogsQuery },
    responses: {
      200: {
        description: "events: a page (JSON), or a stream of `id:`/`event:`/`data:` frames (SSE)",
        content: {
          "application/json": { schema: LogsResponse },
          "text/event-stream": { schema: { type: "string" } },
        },
      },
      204: { description: "SSE only: the job is over and no event is left after the cursor" },
      ...errors(400, 401, 404),
      ...tooManySubscribers,
    },
  }),
  async (c) => {
    const { user, stub } = c.var.job;
    const { after, limit } = c.req.valid("query");
    if (wantsEventStream(c.req.raw)) return eventStreamResponse(stub, user, c.req.raw, after);
    return c.json(unwrap(await stub.logs(user, after, limit)), 200);
  },
);

openApiRoute(
  jobsRoutes,
  createRoute({
    method: "get",
    path: "/{job_id}/result",
    operationId: "jobResultPage",
    summary:
      "One page of a stored result set: rows from row number `after` on (the view carries only the first rows of each set)",
    ...onJob,
    request: { ...onJob.request, query: ResultQuery },
    responses: {
      200: json(ResultPage, "a page of rows; `next_after` null at the end"),
      ...errors(400, 401, 404, 409),
    },
  }),
  async (c) => {
    const { user, stub } = c.var.job;
    const page: z.infer<typeof ResultPage> = unwrap(
      await stub.resultPage(user, c.req.valid("query")),
    );
    return c.json(page, 200);
  },
);

openApiRoute(
  jobsRoutes,
  createRoute({
    method: "post",
    path: "/{job_id}/ticket",
    operationId: "issueTicket",
    summary: "A short-lived HMAC ticket for the job's WebSocket (browsers cannot send headers)",
    ...onJob,
    responses: {
      200: json(TicketResponse, "the ticket"),
      ...errors(400, 401, 404, 413, 503),
    },
  }),
  async (c) => {
    const { id, user, stub } = c.var.job;
    return c.json(await ticketAnswer(c.env, stub, id, user, c.req.url), 200);
  },
);

openApiRoute(
  jobsRoutes,
  createRoute({
    method: "post",
    path: "/{job_id}/cancel",
    operationId: "cancelJob",
    summary: "Cancel the job (idempotent)",
    ...onJob,
    responses: {
      200: json(CancelResponse, "the job's status after the cancel"),
      ...errors(400, 401, 404, 413),
    },
  }),
  async (c) => {
    const { id, user, stub } = c.var.job;
    const out = unwrap(await stub.cancel(user));
    return c.json({ job_id: id, status: out.status }, 200);
  },
);
