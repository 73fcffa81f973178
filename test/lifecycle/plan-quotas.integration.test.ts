// A plan's own limits crossed on the real stack (workerd, env-manager, PostgreSQL), with the test
// plans of test/support/plans.ts named in X-User-Plan: `max_queued_jobs` refuses a user's create
// with 429 too_many_jobs while another user of the same plan still queues, and `max_data_bytes`
// (sent to env-manager as the instance's quota) fails a job whose tail writes past it with
// `quota_exceeded` naming the limit, where env-manager's own 1 GiB quota would have let it pass.
import { describe, expect, it } from "vitest";
import { accepted, BLOCK, createIn, newPool, QUICK } from "../admission/helpers.ts";
import { call, getJob, uid, waitDone, waitFor } from "../jobs/helpers.ts";
import { MiB, planHeader, TEST_PLANS } from "../support/plans.ts";

describe("plan quotas", () => {
  it("max_queued_jobs: past the plan's queue cap a user's create answers 429 too_many_jobs", async () => {
    // The pool has room for everyone: only the plan (1 running, 1 waiting per user) refuses.
    const pool = await newPool({ maxRunning: 10, maxQueued: 10 });
    const plan = planHeader("test-queue");
    const user = uid("user");
    const blocker = await accepted(createIn(pool, user, BLOCK, {}, plan));
    await waitFor(blocker, user, (v) => v.stage === "head_execution");
    const queued = await accepted(createIn(pool, user, QUICK, {}, plan));
    expect((await getJob(queued, user)).queue).toMatchObject({
      user_running: 1,
      user_max_running: 1,
    });

    const { res } = await createIn(pool, user, QUICK, {}, plan);
    expect(res.status).toBe(429);
    const retryAfter = Number(res.headers.get("retry-after"));
    expect(Number.isInteger(retryAfter) && retryAfter >= 1).toBe(true);
    const { error } = await res.json<{ error: Record<string, unknown> }>();
    expect(error).toMatchObject({
      code: "too_many_jobs",
      limit_name: "max_queued_jobs",
      limit: TEST_PLANS["test-queue"].max_queued_jobs,
      retry_after_s: retryAfter,
    });
    expect(error.message).toBe(
      "1 jobs of this user already wait to run (the plan's max_queued_jobs is 1); retry later",
    );

    // The cap is the user's: another user of the same plan still gets a place.
    const other = uid("user");
    const theirs = await accepted(createIn(pool, other, QUICK, {}, plan));

    const cancel = await call(`/v1/jobs/${blocker}/cancel`, { method: "POST", user });
    expect(cancel.status).toBe(200);
    for (const [job, who] of [
      [queued, user],
      [theirs, other],
    ] as const) {
      const done = await waitDone(job, who);
      expect(done.status).toBe("completed");
      expect(done.result?.sets[0]?.rows).toEqual([["42"]]);
    }
  });

  it("max_data_bytes: a tail writing past the plan's data quota fails with quota_exceeded", async () => {
    const max = TEST_PLANS["test-small-data"].max_data_bytes;
    expect(max).toBe(64 * MiB);
    const user = uid("user");
    const res = await call("/v1/jobs", {
      headers: planHeader("test-small-data"),
      body: {
        request_id: uid("req"),
        user_id: user,
        project_tree: {
          // ~200 MB of rows, far under env-manager's 1 GiB: only the plan's 64 MiB stops it.
          "init/01.sql": `CREATE TABLE big_${uid("t").replace(/-/g, "_")} AS SELECT g, repeat(md5(g::text), 32) AS pad FROM generate_series(1, 200000) g;`,
          "test/q.sql": "SELECT 1 AS one;",
        },
        head_path: "test/q.sql",
        timeout_ms: 110_000,
      },
    });
    expect(res.status, await res.clone().text()).toBe(202);
    const { job_id } = await res.json<{ job_id: string }>();
    const view = await waitDone(job_id, user);
    expect(view.status).toBe("failed");
    expect(view.error).toMatchObject({ code: "quota_exceeded", limit: "max_data_bytes" });
    // The watchdog ends the step's session (the run then reads the instance's quota_exceeded), or
    // the step finishes first and the layer's snapshot is refused: either message names the
    // limit and the plan's bytes.
    expect(view.error?.message).toMatch(/^quota max_data_bytes exceeded: /);
    expect(view.error?.message).toContain(`of ${max} bytes`);
  }, 120_000);
});
