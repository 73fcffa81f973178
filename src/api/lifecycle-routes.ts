// The lifecycle routes of a job (docs/lifecycle.md): extend it within the user's plan, and read
// its webhook deliveries. Mounted under /v1/jobs beside the jobs routes, with the same gateway check.
import { Hono } from "hono";
import { ExtendBody } from "../jobs/model.ts";
import { unwrap } from "../jobs/outcome.ts";
import { PLAN_HEADER, resolvePlan } from "../lifecycle/plans.ts";
import { requireGateway, userFromHeader } from "./auth.ts";
import { jobStub, readJson } from "./jobs-routes.ts";

export const lifecycleRoutes = new Hono<{ Bindings: Env }>();

lifecycleRoutes.use("*", requireGateway());

lifecycleRoutes.post("/:job_id/extend", async (c) => {
  const user = userFromHeader(c.req.header("x-user-id"));
  const stub = jobStub(c.env, c.req.param("job_id"));
  const body = await readJson(c.req.raw, ExtendBody);
  const plan = resolvePlan(c.req.header(PLAN_HEADER), c.env.PLANS);
  return c.json(unwrap(await stub.extend({ user, body, plan })), 200);
});

lifecycleRoutes.get("/:job_id/webhooks", async (c) => {
  const user = userFromHeader(c.req.header("x-user-id"));
  const stub = jobStub(c.env, c.req.param("job_id"));
  return c.json(unwrap(await stub.webhooks(user)), 200);
});
