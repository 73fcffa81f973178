// Whose failure is it, on the real stack: PostgreSQL is killed (SIGKILL to the instance's
// postmaster, through test/node/fault-control.ts) while a tail step runs. That is the platform's
// failure, not the user's: the job must not end as `tail_error`; it boots again from the last
// layer it published, replays only what follows, and completes with the right rows. A job gets 3
// runs (MAX_ATTEMPTS): PostgreSQL killed in all three fails it with `instance_lost`.
import { describe, expect, inject, it } from "vitest";
import type { JobEvent } from "../../src/jobs/model.ts";
import { call, submit, uid, waitDone } from "../jobs/helpers.ts";

async function events(jobId: string, user: string): Promise<JobEvent[]> {
  const res = await call(`/v1/jobs/${jobId}/logs?after=0`, { user });
  expect(res.status).toBe(200);
  return (await res.json<{ events: JobEvent[] }>()).events;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 1200; i++) {
    const got = await probe();
    if (got !== undefined) return got;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** The instance env-manager says the job holds (not one of `skip`), once it is there. */
function jobInstance(jobId: string, skip: Set<string>): Promise<string> {
  return until("the job's instance", async () => {
    const res = await fetch(`${inject("envManagerUrl")}/v1/instances`, {
      headers: { authorization: `Bearer ${inject("platformToken")}` },
    });
    const { instances } = await res.json<{
      instances: { instance_id: string; owner: string | null; state: string }[];
    }>();
    return instances.find(
      (i) => i.owner === jobId && i.state !== "dead" && !skip.has(i.instance_id),
    )?.instance_id;
  });
}

async function kill(instanceId: string): Promise<void> {
  const res = await fetch(`${inject("faultControlUrl")}/instances/${instanceId}/kill`, {
    method: "POST",
  });
  expect(res.status).toBe(204);
}

describe("failure attribution", () => {
  it("a PostgreSQL killed mid-tail boots again from the last layer and the job completes", async () => {
    const t = `k_${uid("t").replaceAll("-", "_")}`;
    const { jobId, user } = await submit({
      project_tree: {
        "init/01_schema.sql": `CREATE TABLE ${t} (v int);`,
        "seed/01_rows.sql": `INSERT INTO ${t} VALUES (1), (2); SELECT pg_sleep(8);`,
        "test/q.sql": `SELECT count(*) AS n FROM ${t};`,
      },
      head_path: "test/q.sql",
      timeout_ms: 120_000,
    });
    // Wait until init/'s layer is published and the seed step runs on the instance.
    await until("init/ published", async () => {
      const list = await events(jobId, user);
      return list.some((e) => e.type === "step" && e.data.state === "published") ? true : undefined;
    });
    await kill(await jobInstance(jobId, new Set()));

    const view = await waitDone(jobId, user);
    expect(view.error).toBeNull();
    expect(view.status).toBe("completed");
    expect(view.result?.sets.at(-1)?.rows).toEqual([["2"]]);
    expect(view.metrics.retries).toBeGreaterThanOrEqual(1);
    const list = await events(jobId, user);
    const warning = list.find(
      (e) =>
        e.type === "log" && String(e.data.message).includes("booting again from the last layer"),
    );
    expect(warning?.data.message).toMatch(/^the PostgreSQL instance went away while the job ran/);
    // The second run reused init/'s layer: a reused step after the warning.
    const reused = list.filter((e) => e.type === "step" && e.data.state === "reused");
    expect(
      reused.some((e) => e.seq > (warning?.seq ?? Infinity) && Number(e.data.reused_steps) >= 1),
    ).toBe(true);
  }, 180_000);

  it("PostgreSQL killed in each of the job's 3 runs fails it with instance_lost", async () => {
    const t = `k3_${uid("t").replaceAll("-", "_")}`;
    const { jobId, user } = await submit({
      project_tree: {
        "init/01_schema.sql": `CREATE TABLE ${t} (v int);`,
        "seed/01_rows.sql": `INSERT INTO ${t} VALUES (1); SELECT pg_sleep(20);`,
        "test/q.sql": `SELECT count(*) AS n FROM ${t};`,
      },
      head_path: "test/q.sql",
      timeout_ms: 170_000,
    });
    const killed = new Set<string>();
    for (let run = 1; run <= 3; run++) {
      // Kill each run's instance while it replays seed/ (the first run once init/ is published;
      // the next ones boot from that layer and replay only seed/).
      await until(`run ${run} replaying seed/`, async () => {
        const list = await events(jobId, user);
        const published = list.some((e) => e.type === "step" && e.data.state === "published");
        const replays = list.filter(
          (e) => e.type === "stage" && e.data.stage === "tail_replay" && e.data.state === "running",
        ).length;
        return published && replays >= run ? true : undefined;
      });
      const instanceId = await jobInstance(jobId, killed);
      killed.add(instanceId);
      await kill(instanceId);
    }

    const view = await waitDone(jobId, user);
    expect(view.status).toBe("failed");
    expect(view.error).toMatchObject({
      code: "instance_lost",
      message: "the PostgreSQL instance went away while the job ran (a platform failure)",
    });
    expect(view.metrics.retries).toBe(2);
    const warnings = (await events(jobId, user))
      .filter((e) => e.type === "log" && e.data.level === "warning")
      .map((e) => String(e.data.message));
    expect(warnings.filter((m) => m.includes("booting again from the last layer"))).toEqual([
      expect.stringMatching(/\(attempt 2 of 3\)$/),
      expect.stringMatching(/\(attempt 3 of 3\)$/),
    ]);
  }, 240_000);
});
