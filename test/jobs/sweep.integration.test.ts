// The Cron Trigger's sweep asks snapshot-cache to collect expired layers.
import {
  createExecutionContext,
  createScheduledController,
  env,
  waitOnExecutionContext,
} from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { sweep } from "../../src/run/sweep.ts";
import worker from "../../src/worker.ts";

describe("scheduled sweep", () => {
  it("runs snapshot-cache GC and reports what it deleted", async () => {
    const out = await sweep(env);
    expect(out).toHaveProperty("deleted");
  });

  it("is what the worker's scheduled handler runs", async () => {
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: "*/15 * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);
  });
});
