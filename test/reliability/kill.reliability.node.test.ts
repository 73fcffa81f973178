// kill -9 mid-job (issue 9: "0 lost, 0 stuck, 0 duplicated"), end to end through `wrangler dev`:
// JOBS jobs are in their tail (a seed step sleeping on its instance) when PostgreSQL (every
// postmaster the jobs hold) or the Worker (wrangler dev and its workerd) is SIGKILLed. The Worker
// comes back on the same port and Durable Object storage, as a restarted host does. Then every job
// must still be found (0 lost), end within the deadline (0 stuck), in a clear terminal state:
// completed with the seed's rows exactly once (0 duplicated), or failed with a platform code.
// The same create again answers the same job (no second job either).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  api,
  type JobViewLite,
  type ReliabilityStack,
  startReliabilityStack,
  waitEnded,
} from "./stack.ts";
import { logKill, startTailJobs, type TailJob, tally } from "./tail-kill.ts";

const JOBS = 3;
const PLATFORM_CODES = ["instance_lost", "env_unavailable", "internal"];

let stack: ReliabilityStack;
beforeAll(async () => {
  stack = await startReliabilityStack();
});
afterAll(async () => {
  await stack?.close();
});

function startJobs(tag: string): Promise<TailJob[]> {
  return startTailJobs(stack.url, JOBS, (i) => ({
    user: `kill-${tag}-${i}-${Date.now()}`,
    table: `k_${tag}_${i}`,
  }));
}

/** The instance each job holds, once all of them are in their tail. */
async function instancesOf(jobs: TailJob[]): Promise<string[]> {
  const ids = new Set(jobs.map((j) => j.jobId));
  for (let i = 0; i < 2400; i++) {
    const owned = stack.platform.envManager.manager
      .list()
      .filter((inst) => inst.owner !== null && ids.has(inst.owner) && inst.state !== "dead");
    if (new Set(owned.map((o) => o.owner)).size === jobs.length) {
      return owned.map((o) => o.instance_id);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("the jobs never all held an instance");
}

async function outcome(jobs: TailJob[]) {
  const views: JobViewLite[] = [];
  for (const j of jobs) views.push(await waitEnded(stack.url, j.jobId, j.user, 400_000));
  const counts = tally(views, PLATFORM_CODES);
  // The same creates again: the same jobs, none created twice.
  for (const j of jobs) {
    const again = await api(stack.url, "/v1/jobs", { body: j.body });
    expect(again.status).toBe(202);
    expect(await again.json()).toMatchObject({ job_id: j.jobId, created: false });
  }
  return { counts, views };
}

describe("kill -9 mid-job", () => {
  it(`PostgreSQL: ${JOBS} jobs, 0 lost, 0 stuck, 0 duplicated`, async () => {
    const jobs = await startJobs("pg");
    const instances = await instancesOf(jobs);
    for (const id of instances) {
      const pid = stack.platform.envManager.manager.get(id).instance.pid;
      if (pid !== null) process.kill(pid, "SIGKILL");
    }
    const { counts, views } = await outcome(jobs);
    logKill("postgresql", JOBS, counts, views);
    expect(counts).toMatchObject({ stuck: 0, duplicated: 0, other: 0 });
    expect(counts.completed + counts.failed_platform).toBe(JOBS);
    // A crashed instance is retried from the last layer: these jobs complete.
    expect(views.map((v) => v.status)).toEqual(Array(JOBS).fill("completed"));
  });

  it(`wrangler dev (the Worker): ${JOBS} jobs, 0 lost, 0 stuck, 0 duplicated`, async () => {
    const jobs = await startJobs("wr");
    await instancesOf(jobs);
    await stack.crashWorker();
    const { counts } = await outcome(jobs);
    logKill("wrangler", JOBS, counts);
    expect(counts).toMatchObject({ stuck: 0, duplicated: 0, other: 0 });
    expect(counts.completed + counts.failed_platform).toBe(JOBS);
  });
});
