// 200 concurrent jobs (issue 9): every create answers 202 or a clear 429 too_many_jobs, every
// accepted job completes, none fails for capacity. Then a pool allowed more running jobs than
// env-manager has instances: the jobs past env-manager's cap back off on its 429 and complete.
// Figures (wall time; the load is read with `uptime` around the run) go in docs/benchmarks.md.
import { describe, expect, it } from "vitest";
import type { JobView } from "../../src/jobs/model.ts";
import { createIn, newPool } from "../admission/helpers.ts";
import { call, uid } from "../api/helpers.ts";
import { waitDone } from "../jobs/helpers.ts";

interface Outcome {
  status: number;
  code?: string;
  view?: JobView;
}

async function settle(user: string, res: Response, jobId: string): Promise<Outcome> {
  if (res.status === 429) {
    const { error } = await res.json<{ error: { code: string; message: string } }>();
    expect(res.headers.get("retry-after")).toMatch(/^[1-9][0-9]*$/);
    expect(error.message).toMatch(/max_queued_jobs|ADMISSION_MAX_QUEUED/);
    return { status: 429, code: error.code };
  }
  expect(res.status, await res.clone().text()).toBe(202);
  return { status: 202, view: await waitDone(jobId, user) };
}

function report(what: string, outcomes: Outcome[], ms: number): void {
  const views = outcomes.flatMap((o) => (o.view ? [o.view] : []));
  const codes: Record<string, number> = {};
  for (const v of views) if (v.error) codes[v.error.code] = (codes[v.error.code] ?? 0) + 1;
  const line = {
    what,
    jobs: outcomes.length,
    accepted: views.length,
    refused_429: outcomes.filter((o) => o.status === 429).length,
    completed: views.filter((v) => v.status === "completed").length,
    failed_by_code: codes,
    waited_for_env_manager: views.filter((v) =>
      v.logs.some((l) => String(l.data.message).includes("waiting for a free instance")),
    ).length,
    wall_ms: Math.round(ms),
  };
  console.log(`RELIABILITY ${JSON.stringify(line)}`);
}

function expectNoCapacityFailure(outcomes: Outcome[]): void {
  for (const o of outcomes) {
    if (o.status === 429) expect(o.code).toBe("too_many_jobs");
    else {
      expect(o.view?.error ?? null).toBeNull();
      expect(o.view?.status).toBe("completed");
    }
  }
}

describe("admission under load", () => {
  // Bounded by its own timeout (30 min): at load 20 on 2 cores a batch of 16 jobs took ~2 min.
  it("200 concurrent jobs of 5 users: all complete or get a clear 429, none fails for capacity", {
    timeout: 1_800_000,
  }, async () => {
    const users = Array.from({ length: 5 }, () => uid("user"));
    // One tail for all: after its first replay every job boots from its layer.
    const table = `load_${uid("t").replace(/-/g, "_")}`;
    const started = performance.now();
    const outcomes = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const user = users[i % users.length] as string;
        const requestId = uid("req");
        const res = await call("/v1/jobs", {
          body: {
            request_id: requestId,
            user_id: user,
            timeout_ms: 600_000,
            project_tree: {
              "init/01.sql": `CREATE TABLE ${table} AS SELECT g AS x FROM generate_series(1, 100) g;`,
              "test/head.sql": `SELECT count(*) AS n, ${i} AS job FROM ${table};`,
            },
            head_path: "test/head.sql",
          },
        });
        const { job_id } = await res
          .clone()
          .json<{ job_id?: string }>()
          .catch(() => ({ job_id: undefined }));
        const out = await settle(user, res, job_id ?? "");
        if (out.view) expect(out.view.result?.sets[0]?.rows).toEqual([["100", String(i)]]);
        return out;
      }),
    );
    report("200 jobs, 5 users, global pool", outcomes, performance.now() - started);
    expect(outcomes).toHaveLength(200);
    expectNoCapacityFailure(outcomes);
  });

  it("a pool allowed more running jobs than env-manager has instances: the rest back off and complete", {
    timeout: 1_200_000,
  }, async () => {
    // 36 slots for 36 users at once; env-manager holds 32 instances (some kept by its warm pool).
    const pool = await newPool({ maxRunning: 36, maxQueued: 36 });
    const started = performance.now();
    const outcomes = await Promise.all(
      Array.from({ length: 36 }, async () => {
        const user = uid("user");
        const { jobId, res } = await createIn(pool, user, "SELECT pg_sleep(2), 7 AS seven;", {
          timeout_ms: 600_000,
        });
        return settle(user, res, jobId);
      }),
    );
    report("36 jobs over env-manager's cap", outcomes, performance.now() - started);
    expectNoCapacityFailure(outcomes);
    expect(outcomes.every((o) => o.status === 202)).toBe(true);
  });
});
