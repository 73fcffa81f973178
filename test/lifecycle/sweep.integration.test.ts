// The scheduled sweep: what it collects and that the worker's scheduled handler runs it.
import {
  createExecutionContext,
  createScheduledController,
  env,
  waitOnExecutionContext,
} from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { runSweep } from "../../src/lifecycle/sweep-job.ts";
import worker from "../../src/worker.ts";

describe("scheduled sweep", () => {
  it("runs every part against the real platform and reports what it deleted", async () => {
    const report = await runSweep(env);
    expect(report.errors).toEqual([]);
    for (const key of [
      "files_deleted",
      "files_bytes",
      "layers_deleted",
      "layers_bytes",
      "instances_destroyed",
    ] as const) {
      expect(Number.isInteger(report[key]) && report[key] >= 0).toBe(true);
    }
  });

  it("reports a part it could not run instead of failing", async () => {
    const report = await runSweep({
      ...env,
      SNAPSHOT_CACHE_URL: "http://127.0.0.1:9",
      ENV_MANAGER_URL: "http://127.0.0.1:9",
    });
    expect(report.errors.map((e) => e.part).sort()).toEqual(["instances", "layers"]);
  });

  it("is what the worker's scheduled handler runs", async () => {
    const logs: string[] = [];
    const original = console.log;
    console.log = (line: unknown) => logs.push(String(line));
    try {
      const ctx = createExecutionContext();
      await worker.scheduled(createScheduledController({ cron: "*/15 * * * *" }), env, ctx);
      await waitOnExecutionContext(ctx);
    } finally {
      console.log = original;
    }
    const line = logs
      .map((l) => JSON.parse(l) as { event?: string })
      .find((l) => l.event === "sweep");
    expect(line).toMatchObject({ event: "sweep", level: "info", errors: [] });
  });
});
