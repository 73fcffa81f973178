// Failures name their side: tail and head errors carry file:line:column; snapshot-cache down still
// completes (full replay, noted); an evicted object still reaches a terminal state.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { JobObject } from "../../src/objects/job-object.ts";
import { call, getJob, project, runToEnd, submit, uid, waitDone, waitFor } from "./helpers.ts";

function stub(jobId: string): DurableObjectStub<JobObject> {
  return env.JOBS.get(env.JOBS.idFromName(jobId));
}

describe("failures", () => {
  it("reports a tail error with its file, line and column", async () => {
    const tree = {
      ...project(),
      "seed/02_more.sql": "INSERT INTO nowhere\n  VALUES (1);\n",
    };
    const view = await runToEnd({ project_tree: tree, head_path: "test/all.sql" });
    expect(view.status).toBe("failed");
    expect(view.error).toMatchObject({
      code: "tail_error",
      sqlstate: "42P01",
      file: "seed/02_more.sql",
      line: 1,
      column: 13,
    });
    expect(view.error?.message).toContain("seed/02_more.sql");
  });

  it("reports a head error with its file, line and column", async () => {
    const tree = {
      ...project(),
      "test/bad.sql": "SELECT 1;\nSELECT nope FROM generate_series(1, 2);\n",
    };
    const view = await runToEnd({ project_tree: tree, head_path: "test/bad.sql" });
    expect(view.status).toBe("failed");
    expect(view.error).toMatchObject({
      code: "head_error",
      sqlstate: "42703",
      file: "test/bad.sql",
      line: 2,
      column: 8,
    });
    expect(JSON.stringify(view)).not.toMatch(/127\.0\.0\.1|localhost|at .*\.ts:/);
  });

  it("completes with snapshot-cache unreachable: full replay, noted in the result", async () => {
    const tree = project();
    const user = uid("user");
    const res = await call("/v1/jobs", {
      body: { request_id: uid("req"), user_id: user, mode: "long", project_tree: tree },
    });
    const { job_id: jobId } = await res.json<{ job_id: string }>();
    await runInDurableObject(stub(jobId), (obj) => {
      obj.overrides = { snapshotCacheUrl: "http://127.0.0.1:9/" };
    });
    await call(`/v1/jobs/${jobId}/run`, { body: { head_path: "test/count.sql" }, user });
    const view = await waitDone(jobId, user);
    expect(view.error).toBeNull();
    expect(view.status).toBe("completed");
    expect(view.snapshot).toMatchObject({ cache_available: false, hit: false, replayed_steps: 3 });
    expect(view.result?.sets[0]?.rows).toEqual([["3", "4.50"]]);
    expect(
      view.logs.some((l) => String(l.data.message).includes("snapshot-cache is unavailable")),
    ).toBe(true);
  });

  // workerd's evictDurableObject waits for a running alarm to finish, so the test resets the object
  // the way a crash or a forced eviction does: ctx.abort() abandons the alarm's work in flight.
  it("an object reset mid-job still reaches a terminal state", async () => {
    const tree = { ...project(), "test/slow.sql": "SELECT pg_sleep(1.5);\nSELECT 42 AS answer;" };
    const { jobId, user } = await submit({ project_tree: tree, head_path: "test/slow.sql" });
    await waitFor(jobId, user, (v) => v.stage === "head_execution");
    await runInDurableObject(stub(jobId), (_obj, state) => {
      state.abort("test: reset mid-job");
    }).catch(() => {});
    const view = await waitDone(jobId, user);
    // The heartbeat alarm wakes a fresh instance, which drops the old PostgreSQL instance and
    // resumes from the tail's layer.
    expect(view.status).toBe("completed");
    expect(view.snapshot?.hit).toBe(true);
    expect(view.result?.sets.at(-1)?.rows).toEqual([["42"]]);
    const logs = await (await call(`/v1/jobs/${jobId}/logs`, { user })).json<{
      events: { data: Record<string, unknown> }[];
    }>();
    expect(logs.events.some((e) => e.data.message === "resuming an interrupted run")).toBe(true);
  });

  it("an idempotent retry while running gives the same job, and another user gets 404", async () => {
    const body = {
      request_id: uid("req"),
      user_id: uid("user"),
      project_tree: project(),
      head_path: "test/all.sql",
    };
    const a = await call("/v1/jobs", { body });
    const b = await call("/v1/jobs", { body });
    const ja = await a.json<{ job_id: string; created: boolean }>();
    const jb = await b.json<{ job_id: string; created: boolean }>();
    expect(jb).toMatchObject({ job_id: ja.job_id, created: false });
    const view = await waitDone(ja.job_id, body.user_id);
    expect(view.status).toBe("completed");
    const logs = await (await call(`/v1/jobs/${ja.job_id}/logs`, { user: body.user_id })).json<{
      events: { type: string; data: Record<string, unknown> }[];
    }>();
    expect(logs.events.filter((e) => e.type === "result")).toHaveLength(1);
    expect((await call(`/v1/jobs/${ja.job_id}`, { user: uid("other") })).status).toBe(404);
    expect((await getJob(ja.job_id, body.user_id)).job_id).toBe(ja.job_id);
  });
});

describe("platform faults", () => {
  it("retries env-manager with back-off, then fails env_unavailable without leaking its URL", async () => {
    const user = uid("user");
    const res = await call("/v1/jobs", {
      body: { request_id: uid("req"), user_id: user, mode: "long", project_tree: project() },
    });
    const { job_id: jobId } = await res.json<{ job_id: string }>();
    await runInDurableObject(stub(jobId), (obj) => {
      // Nothing listens there and nothing will: no 60 s wait for it to come back (which took
      // this test to 59 s of its 60 s timeout in a fresh-clone CI run).
      obj.overrides = { envManagerUrl: "http://127.0.0.1:9/", envRecoveryMaxWaitMs: 0 };
    });
    await call(`/v1/jobs/${jobId}/run`, { body: { head_path: "test/count.sql" }, user });
    const view = await waitDone(jobId, user);
    expect(view.status).toBe("failed");
    expect(view.error?.code).toBe("env_unavailable");
    expect(view.metrics.retries).toBeGreaterThanOrEqual(3);
    expect(JSON.stringify(view)).not.toContain("127.0.0.1");
  });
});
