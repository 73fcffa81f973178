// Operator routes of the gateway (bearer token): `POST /v1/admin/sweep` runs the scheduled sweep
// now and answers what it deleted (`npm run gc` calls it; docs/lifecycle.md).
import { createRoute } from "@hono/zod-openapi";
import { runSweep } from "../lifecycle/sweep-job.ts";
import { requireGateway } from "./auth.ts";
import { apiRoutes, errors, json, openApiRoute } from "./openapi-route.ts";
import { SweepResponse } from "./schemas.ts";

export const adminRoutes = apiRoutes();

adminRoutes.use("*", requireGateway());

openApiRoute(
  adminRoutes,
  createRoute({
    method: "post",
    path: "/sweep",
    operationId: "sweepNow",
    summary: "Run the scheduled sweep now (content, layers, orphaned instances; docs/lifecycle.md)",
    responses: { 200: json(SweepResponse, "what it deleted"), ...errors(401) },
  }),
  async (c) => c.json(await runSweep(c.env), 200),
);
