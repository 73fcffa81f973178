// Cancel and timeout end a job that sleeps in PostgreSQL, and leave no query (or instance) behind.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { JobObject } from "../../src/objects/job-object.ts";
import { testEnvManagerClient } from "../support/instance.ts";
import { call, getJob, project, runToEnd, submit, waitDone, waitFor } from "./helpers.ts";

function stub(jobId: string): DurableObjectStub<JobObject> {
  return env.JOBS.get(env.JOBS.idFromName(jobId));
}

async function instanceOf(jobId: string): Promise<string | null> {
  return runInDurableObject(stub(jobId), (obj) => obj.active?.instanceId ?? null);
}

describe("cancel and timeout", () => {
  it("cancel during SELECT pg_sleep(60) ends the job as canceled and drops the instance", async () => {
    const tree = { ...project(), "test/sleep.sql": "SELECT pg_sleep(60);" };
    const { jobId, user } = await submit({ project_tree: tree, head_path: "test/sleep.sql" });
    const running = await waitFor(jobId, user, (v) => v.stage === "head_execution");
    expect(running.status).toBe("running");
    const instanceId = await instanceOf(jobId);
    expect(instanceId).toMatch(/^i-/);

    const res = await call(`/v1/jobs/${jobId}/cancel`, { method: "POST", user });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ job_id: jobId, status: "canceled" });
    const view = await getJob(jobId, user);
    expect(view.status).toBe("canceled");
    expect(view.error?.code).toBe("canceled");
    expect(await testEnvManagerClient().get(instanceId!)).toBeNull();

    const again = await call(`/v1/jobs/${jobId}/cancel`, { method: "POST", user });
    expect(await again.json()).toEqual({ job_id: jobId, status: "canceled" });
    const final = await waitDone(jobId, user);
    expect(final.status).toBe("canceled");
    expect(final.result).toBeNull();
  });

  it("timeout_ms holds although the head switches statement_timeout off", async () => {
    const tree = {
      ...project(),
      "test/forever.sql": "SET statement_timeout = 0;\nSELECT pg_sleep(60);",
    };
    // Warm the tail first, so the 6 s cover a boot from its layer and the head, not a cold replay
    // of the tail on a loaded machine (the timeout counts from the run's start).
    const warm = await runToEnd({ project_tree: tree, head_path: "test/all.sql" });
    expect(warm.status).toBe("completed");
    const { jobId, user } = await submit({
      project_tree: tree,
      head_path: "test/forever.sql",
      timeout_ms: 6000,
    });
    const head = await waitFor(jobId, user, (v) => v.stage === "head_execution");
    expect(head.snapshot?.hit).toBe(true);
    const instanceId = await instanceOf(jobId);
    const view = await waitDone(jobId, user);
    expect(view.status).toBe("failed");
    expect(view.error?.code).toBe("timeout");
    expect(view.error?.message).toContain("6000");
    expect(await testEnvManagerClient().get(instanceId!)).toBeNull();
  });
});
