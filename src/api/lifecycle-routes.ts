// The lifecycle routes of a job (docs/lifecycle.md): extend it within the user's plan, and read
// its webhook deliveries. Mounted under /v1/jobs beside the jobs routes, with the same gateway
// check and the same `resolveJob` first.
import { createRoute } from "@hono/zod-openapi";
import { unwrap } from "../jobs/outcome.ts";
import { PLAN_HEADER, resolvePlan } from "../lifecycle/plans.ts";
import { requireGateway } from "./auth.ts";
import { type JobApp, onJob } from "./jobs-routes.ts";
import { apiRoutes, errors, json, openApiRoute } from "./openapi-route.ts";
import {
  ExtendBody,
  ExtendResponse,
  planHeader,
  userHeader,
  WebhookDeliveries,
} from "./schemas.ts";

export const lifecycleRoutes = apiRoutes<JobApp>();

lifecycleRoutes.use("*", requireGateway());

openApiRoute(
  lifecycleRoutes,
  createRoute({
    method: "post",
    path: "/{job_id}/extend",
    operationId: "extendJob",
    summary: "Extend the job's expiry and pin its layer, within the user's plan (X-User-Plan)",
    ...onJob,
    parameters: [userHeader, planHeader],
    request: {
      ...onJob.request,
      body: { required: true, content: { "application/json": { schema: ExtendBody } } },
    },
    responses: {
      200: json(ExtendResponse, "extended"),
      ...errors(400, 401, 403, 404, 413, 422),
    },
  }),
  async (c) => {
    const { user, stub } = c.var.job;
    const body = c.req.valid("json");
    const plan = resolvePlan(c.req.header(PLAN_HEADER), c.env.PLANS);
    return c.json(unwrap(await stub.extend({ user, body, plan })), 200);
  },
);

openApiRoute(
  lifecycleRoutes,
  createRoute({
    method: "get",
    path: "/{job_id}/webhooks",
    operationId: "jobWebhooks",
    summary: "The job's webhook messages and every delivery attempt",
    ...onJob,
    responses: { 200: json(WebhookDeliveries, "deliveries"), ...errors(400, 401, 404) },
  }),
  async (c) => {
    const { user, stub } = c.var.job;
    return c.json(unwrap(await stub.webhooks(user)), 200);
  },
);
