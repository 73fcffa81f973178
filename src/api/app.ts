// The sql-runner Worker's HTTP app: the Hono routes of every path it answers (the entry point,
// src/worker.ts, adds the cron and queue handlers). Its own module so that tests can list the
// routes it mounts (`app.routes`) and check each against the OpenAPI document.
import { Hono } from "hono";
import type { z } from "zod";
import { AppError } from "../errors.ts";
import { playRoutes } from "../play/routes.ts";
import { operatorTelemetry } from "../telemetry/http-telemetry.ts";
import { checkReadiness } from "../telemetry/readiness.ts";
import { adminRoutes } from "./admin-routes.ts";
import { blobsRoutes } from "./blobs-routes.ts";
import { errorResponse } from "./errors.ts";
import { jobsRoutes } from "./jobs-routes.ts";
import { lifecycleRoutes } from "./lifecycle-routes.ts";
import { liveRoutes } from "./live-routes.ts";
import { openApiDocument } from "./openapi.ts";
import type { HealthResponse, ReadyResponse } from "./schemas.ts";

export const app = new Hono<{ Bindings: Env }>();

// Request ids, traceparent, HTTP metrics, audit records of actions and refusals (src/telemetry).
app.use("*", operatorTelemetry());

app.get("/healthz", (c) => {
  const health: z.infer<typeof HealthResponse> = {
    status: "ok",
    service: "sql-runner",
    version: c.env.SERVICE_VERSION,
    compatibility_date: c.env.COMPATIBILITY_DATE,
  };
  return c.json(health);
});

/** Readiness: 503 naming the platform services that do not answer (see docs/operations.md). */
app.get("/readyz", async (c) => {
  const out = await checkReadiness(c.env);
  const ready: z.infer<typeof ReadyResponse> = {
    status: out.ready ? "ready" : "not_ready",
    ...out,
  };
  return c.json(ready, out.ready ? 200 : 503);
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
