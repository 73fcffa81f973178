// The route label and audit action name the handler a request was meant for, even when another
// sub-app mounted on the same prefix adds a "*" middleware after it (as /v1/jobs has: the jobs
// and the lifecycle routes), and when the gateway check refuses before the handler runs.
import { Hono, type MiddlewareHandler } from "hono";
import { describe, expect, it } from "vitest";
import { handlerRoute } from "../../src/telemetry/http-telemetry.ts";

function appLikeTheWorker(seen: string[]) {
  const refuseWithoutToken: MiddlewareHandler = async (c, next) => {
    if (!c.req.header("authorization")) return c.json({ error: "unauthorized" }, 401);
    await next();
  };
  const jobs = new Hono();
  jobs.use("*", refuseWithoutToken);
  jobs.post("/", (c) => c.json({}, 202));
  jobs.get("/:job_id", (c) => c.json({}, 404));
  const lifecycle = new Hono();
  lifecycle.use("*", refuseWithoutToken);
  lifecycle.post("/:job_id/extend", (c) => c.json({}, 200));
  const app = new Hono();
  app.use("*", async (c, next) => {
    await next();
    seen.push(`${c.req.method} ${handlerRoute(c)} ${c.res.status}`);
  });
  app.route("/v1/jobs", jobs);
  app.route("/v1/jobs", lifecycle);
  return app;
}

describe("handlerRoute", () => {
  it("names the handler's template, not a later sub-app's middleware", async () => {
    const seen: string[] = [];
    const app = appLikeTheWorker(seen);
    const auth = { authorization: "Bearer x" };
    await app.request("/v1/jobs", { method: "POST", headers: auth });
    await app.request("/v1/jobs/j1", { headers: auth });
    await app.request("/v1/jobs/j1"); // refused by the middleware before the handler
    await app.request("/v1/jobs/j1/extend", { method: "POST", headers: auth });
    await app.request("/nowhere");
    expect(seen).toEqual([
      "POST /v1/jobs 202",
      "GET /v1/jobs/:job_id 404",
      "GET /v1/jobs/:job_id 401",
      "POST /v1/jobs/:job_id/extend 200",
      "GET unmatched 404",
    ]);
  });
});
