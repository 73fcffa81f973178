// The sql-runner Worker: a thin Hono app that routes to the per-job Durable Object.
import { Hono } from "hono";

const app = new Hono<{ Bindings: Env }>();

app.get("/healthz", (c) => {
  return c.json({
    status: "ok",
    service: "sql-runner",
    version: c.env.SERVICE_VERSION,
    compatibility_date: c.env.COMPATIBILITY_DATE,
  });
});

export default app;
export { JobObject } from "./objects/job-object.ts";
