// The sql-runner Worker's HTTP app: the routes of every path it answers (the entry point,
// src/worker.ts, adds the cron and queue handlers), an OpenAPIHono whose route definitions make
// the OpenAPI document (openapi.ts). Its own module so that tests can list the routes it mounts
// (`app.routes`) and check each against the document.
import { createRoute, z } from "@hono/zod-openapi";
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
import { apiRoutes, errors, json, openApiRoute } from "./openapi-route.ts";
import { HealthResponse, ReadyResponse } from "./schemas.ts";

export const app = apiRoutes();

// Request ids, traceparent, HTTP metrics, audit records of actions and refusals (src/telemetry).
app.use("*", operatorTelemetry());

// The service routes answer without the bearer token (`security: []`).
openApiRoute(
  app,
  createRoute({
    method: "get",
    path: "/healthz",
    operationId: "health",
    summary: "Liveness: answers without touching anything",
    security: [],
    responses: { 200: json(HealthResponse, "alive"), ...errors() },
  }),
  (c) =>
    c.json(
      {
        status: "ok" as const,
        service: "sql-runner" as const,
        version: c.env.SERVICE_VERSION,
        compatibility_date: c.env.COMPATIBILITY_DATE,
      },
      200,
    ),
);

/** Readiness: 503 naming the platform services that do not answer (see docs/operations.md). */
openApiRoute(
  app,
  createRoute({
    method: "get",
    path: "/readyz",
    operationId: "readiness",
    summary: "Readiness: asks env-manager and snapshot-cache; 503 names the ones down",
    security: [],
    responses: {
      200: json(ReadyResponse, "ready"),
      503: json(ReadyResponse, "not ready: `down` names the services"),
      ...errors(),
    },
  }),
  async (c) => {
    const out = await checkReadiness(c.env);
    const ready = { status: out.ready ? ("ready" as const) : ("not_ready" as const), ...out };
    return out.ready ? c.json(ready, 200) : c.json(ready, 503);
  },
);

openApiRoute(
  app,
  createRoute({
    method: "get",
    path: "/v1/openapi.json",
    operationId: "openApiDocument",
    summary: "This document",
    security: [],
    responses: {
      200: json(z.record(z.string(), z.unknown()), "the OpenAPI 3.1 document"),
      ...errors(),
    },
  }),
  (c) => c.json(openApiDocument(app, c.env.SERVICE_VERSION), 200),
);
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
