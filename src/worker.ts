// The sql-runner Worker: a thin Hono app that routes to the per-job Durable Object.
import { Hono } from "hono";
import { adminRoutes } from "./api/admin-routes.ts";
import { errorResponse } from "./api/errors.ts";
import { jobsRoutes } from "./api/jobs-routes.ts";
import { lifecycleRoutes } from "./api/lifecycle-routes.ts";
import { liveRoutes } from "./api/live-routes.ts";
import { openApiDocument } from "./api/openapi.ts";
import { AppError } from "./errors.ts";
import { runSweep } from "./lifecycle/sweep-job.ts";
import { playRoutes } from "./play/routes.ts";

const app = new Hono<{ Bindings: Env }>();

app.get("/healthz", (c) => {
  return c.json({
    status: "ok",
    service: "sql-runner",
    version: c.env.SERVICE_VERSION,
    compatibility_date: c.env.COMPATIBILITY_DATE,
  });
});

app.get("/v1/openapi.json", (c) => c.json(openApiDocument(c.env.SERVICE_VERSION)));
// Before the jobs routes: the WebSocket route authenticates by ticket, not by their gateway check.
app.route("/", liveRoutes);
app.route("/v1/jobs", jobsRoutes);
app.route("/v1/jobs", lifecycleRoutes);
app.route("/v1/admin", adminRoutes);
app.route(
  "/",
  playRoutes(async (req, c) => app.fetch(req, c.env, c.executionCtx)),
);

app.notFound(() => {
  throw new AppError(404, "not_found", "no such route");
});
app.onError((err, c) => errorResponse(err, c));

export default {
  fetch: app.fetch,
  /** Cron Trigger: the global sweep (content, layers, orphaned instances; docs/lifecycle.md). */
  async scheduled(_controller, env, ctx) {
    ctx.waitUntil(runSweep(env));
  },
} satisfies ExportedHandler<Env>;

export { FileIndexObject } from "./objects/file-index-object.ts";
export { JobObject } from "./objects/job-object.ts";
export { TailObject } from "./objects/tail-object.ts";
