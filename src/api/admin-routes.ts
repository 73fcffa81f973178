// Operator routes of the gateway (bearer token): `POST /v1/admin/sweep` runs the scheduled sweep
// now and answers what it deleted (`npm run gc` calls it; docs/lifecycle.md).
import { Hono } from "hono";
import type { z } from "zod";
import { runSweep } from "../lifecycle/sweep-job.ts";
import { requireGateway } from "./auth.ts";
import type { SweepResponse } from "./schemas.ts";

export const adminRoutes = new Hono<{ Bindings: Env }>();

adminRoutes.use("*", requireGateway());

adminRoutes.post("/sweep", async (c) =>
  c.json((await runSweep(c.env)) satisfies z.infer<typeof SweepResponse>, 200),
);
