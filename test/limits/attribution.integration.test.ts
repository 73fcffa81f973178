// Whose failure is it, on the real stack: PostgreSQL is killed (SIGKILL to the instance's
// postmaster, through test/node/fault-control.ts) while a tail step runs. That is the platform's
// failure, not the user's: the job must not end as `tail_error`; it boots again from the last
// layer it published, replays only what follows, and completes with the right rows.
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
    const instanceId = await until("the job's instance", async () => {
      const res = await fetch(`${inject("envManagerUrl")}/v1/instances`, {
        headers: { authorization: `Bearer ${inject("platformToken")}` },
      });
      const { instances } = await res.json<{
        instances: { instance_id: string; owner: string | null; state: string }[];
      }>();
      return instances.find((i) => i.owner === jobId && i.state !== "dead")?.instance_id;
    });
    const killed = await fetch(`${inject("faultControlUrl")}/instances/${instanceId}/kill`, {
      method: "POST",
    });
    expect(killed.status).toBe(204);

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
});
