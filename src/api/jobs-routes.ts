// The jobs routes (/v1/jobs...): validate with zod, derive the job's Durable Object, call it over
// RPC. Another user's job answers exactly like a missing one (404 `not_found`).
import { Hono, type MiddlewareHandler } from "hono";
import type { z } from "zod";
import { AppError } from "../errors.ts";
import { JOB_ID_PATTERN, jobIdFor } from "../jobs/job-id.ts";
import { jobLinks } from "../jobs/job-view.ts";
import { DEFAULTS } from "../jobs/model.ts";
import { notFound, unwrap } from "../jobs/outcome.ts";
import { leasedContent } from "../lifecycle/content-lease.ts";
import { admitCreate, PLAN_HEADER } from "../lifecycle/plans.ts";
import { limitBody } from "../limits/body.ts";
import { offloadTree } from "../limits/offload.ts";
import type { JobObject } from "../objects/job-object.ts";
import { noteJob } from "../telemetry/http-telemetry.ts";
import { requireGateway, userFromHeader } from "./auth.ts";
import { validationError } from "./errors.ts";
import { eventStreamResponse, ticketResponse, wantsEventStream } from "./live-routes.ts";
import { refuseUnrepresentable } from "./reserved-keys.ts";
import {
  AppendBody,
  type CancelResponse,
  CreateJobBody,
  type CreateJobResponse,
  LogsQuery,
  ResultQuery,
  RunBody,
  type RunJobResponse,
  ViewQuery,
} from "./schemas.ts";

/** The job a `/v1/jobs/{job_id}...` call acts on, resolved once per request (see `resolveJob`). */
interface JobCall {
  id: string;
  user: string;
  stub: DurableObjectStub<JobObject>;
}

type App = { Bindings: Env; Variables: { job: JobCall } };

export async function readJson<T extends z.ZodType>(
  req: Request,
  schema: T,
  optional = false,
): Promise<z.infer<T>> {
  // The byte limit was applied while the body arrived (limitBody, below).
  const text = await req.text();
  let value: unknown;
  if (optional && text.trim() === "") value = {};
  else {
    try {
      value = JSON.parse(text);
    } catch {
      throw new AppError(400, "invalid_json", "body is not valid JSON");
    }
  }
  refuseUnrepresentable(value);
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw validationError(parsed.error);
  return parsed.data;
}

export function jobStub(env: Env, jobId: string): DurableObjectStub<JobObject> {
  if (!JOB_ID_PATTERN.test(jobId)) throw notFound();
  return env.JOBS.get(env.JOBS.idFromName(jobId));
}

/** `{job_id}` + `X-User-Id` -> the job's stub, once per request: the first handler of every route
 * on an existing job (a missing user is 400, a malformed id the same 404 as a missing job). */
const resolveJob: MiddlewareHandler<App> = async (c, next) => {
  const user = userFromHeader(c.req.header("x-user-id"));
  const id = c.req.param("job_id") ?? "";
  c.set("job", { id, user, stub: jobStub(c.env, id) });
  await next();
};

export const jobsRoutes = new Hono<App>();

jobsRoutes.use("*", requireGateway());
jobsRoutes.on("POST", "*", limitBody());

jobsRoutes.post("/", async (c) => {
  const body = await readJson(c.req.raw, CreateJobBody);
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
  return c.json(answer satisfies z.infer<typeof CreateJobResponse>, 202);
});

jobsRoutes.post("/:job_id/append", resolveJob, async (c) => {
  const { id, user, stub } = c.var.job;
  const body = await readJson(c.req.raw, AppendBody);
  // The edge does not know the job's expiry: the job renews the lease when it stores the part.
  const content = leasedContent(c.env, Date.now() + DEFAULTS.jobTtl * 1000, user);
  body.project_tree = (await offloadTree(body.project_tree, content)) ?? body.project_tree;
  const out = unwrap(await stub.append(user, body));
  return c.json({ job_id: id, part: body.part, ...out }, 200);
});

jobsRoutes.post("/:job_id/run", resolveJob, async (c) => {
  const { id, user, stub } = c.var.job;
  const body = await readJson(c.req.raw, RunBody, true);
  const out = unwrap(await stub.run(user, body));
  return c.json(
    { job_id: id, status: out.status, links: jobLinks(id) } satisfies z.infer<
      typeof RunJobResponse
    >,
    202,
  );
});

jobsRoutes.get("/:job_id", resolveJob, async (c) => {
  const { user, stub } = c.var.job;
  const parsed = ViewQuery.safeParse(c.req.query());
  if (!parsed.success) throw validationError(parsed.error, "query");
  return c.json(unwrap(await stub.view(user, parsed.data.wait_ms)), 200);
});

jobsRoutes.get("/:job_id/logs", resolveJob, async (c) => {
  const { user, stub } = c.var.job;
  const parsed = LogsQuery.safeParse(c.req.query());
  if (!parsed.success) throw validationError(parsed.error, "query");
  if (wantsEventStream(c.req.raw)) {
    return eventStreamResponse(stub, user, c.req.raw, parsed.data.after);
  }
  return c.json(unwrap(await stub.logs(user, parsed.data.after, parsed.data.limit)), 200);
});

jobsRoutes.get("/:job_id/result", resolveJob, async (c) => {
  const { user, stub } = c.var.job;
  const parsed = ResultQuery.safeParse(c.req.query());
  if (!parsed.success) throw validationError(parsed.error, "query");
  return c.json(unwrap(await stub.resultPage(user, parsed.data)), 200);
});

jobsRoutes.post("/:job_id/ticket", resolveJob, async (c) => {
  const { id, user, stub } = c.var.job;
  return ticketResponse(c.env, stub, id, user, c.req.url);
});

jobsRoutes.post("/:job_id/cancel", resolveJob, async (c) => {
  const { id, user, stub } = c.var.job;
  const out = unwrap(await stub.cancel(user));
  return c.json({ job_id: id, status: out.status } satisfies z.infer<typeof CancelResponse>, 200);
});
