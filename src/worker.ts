// The sql-runner Worker: a thin Hono app that routes to the per-job Durable Object.
import { Hono } from "hono";
import { adminRoutes } from "./api/admin-routes.ts";
import { blobsRoutes } from "./api/blobs-routes.ts";
import { errorResponse } from "./api/errors.ts";
import { jobsRoutes } from "./api/jobs-routes.ts";
import { lifecycleRoutes } from "./api/lifecycle-routes.ts";
import { liveRoutes } from "./api/live-routes.ts";
import { openApiDocument } from "./api/openapi.ts";
import { AppError } from "./errors.ts";
import { runSweep } from "./lifecycle/sweep-job.ts";
import { playRoutes } from "./play/routes.ts";
import { deliverAudit } from "./telemetry/audit-consumer.ts";
import { operatorTelemetry } from "./telemetry/http-telemetry.ts";
import { checkReadiness } from "./telemetry/readiness.ts";
import { configureTelemetry, flushTelemetry } from "./telemetry/telemetry.ts";

const app = new Hono<{ Bindings: Env }>();

// Request ids, traceparent, HTTP metrics, audit records of actions and refusals (src/telemetry).
app.use("*", operatorTelemetry());

app.get("/healthz", (c) => {
  return c.json({
    status: "ok",
    service: "sql-runner",
    version: c.env.SERVICE_VERSION,
    compatibility_date: c.env.COMPATIBILITY_DATE,
  });
});

/** Readiness: 503 naming the platform services that do not answer (see docs/operations.md). */
app.get("/readyz", async (c) => {
  const out = await checkReadiness(c.env);
  return c.json({ status: out.ready ? "ready" : "not_ready", ...out }, out.ready ? 200 : 503);
});

app.get("/v1/openapi.json", (c) => c.json(openApiDocument(c.env.SERVICE_VERSION)));
// Before the jobs routes: the WebSocket route authenticates by ticket, not by their gateway check.
app.route("/", liveRoutes);
app.route("/v1/jobs", jobsRoutes);
app.route("/v1/jobs", lifecycleRoutes);
app.route("/v1/blobs", blobsRoutes);
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
    configureTelemetry(env);
    ctx.waitUntil(runSweep(env).finally(flushTelemetry));
  },
  /** The AUDIT queue: delivers audit records to the audit-log service (retries, then the DLQ). */
  async queue(batch, env, ctx) {
    configureTelemetry(env);
    await deliverAudit(batch, env);
    ctx.waitUntil(flushTelemetry());
  },
} satisfies ExportedHandler<Env>;

export { FileIndexObject } from "./objects/file-index-object.ts";
export { JobObject } from "./objects/job-object.ts";
export { TailObject } from "./objects/tail-object.ts";
