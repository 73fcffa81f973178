// What the kill -9 tests share (kill.reliability.node.test.ts, kill-env-manager.reliability.node
// .test.ts): jobs caught in their tail (a seed step sleeping 6 s on its instance, time enough to
// kill something under it) and the tally of how they ended in issue 9's terms: 0 lost, 0 stuck,
// 0 duplicated, and which failures are the platform's.
import { expect } from "vitest";
import { api, type JobViewLite } from "./stack.ts";

export interface TailJob {
  jobId: string;
  user: string;
  /** The create body, to send again (the same job must answer). */
  body: Record<string, unknown>;
}

/**
 * Creates `count` jobs through the Worker at `url`, each its own user and table (`names(i)`); the
 * head counts the seed's 2 rows, so a completed job shows whether the seed ran twice.
 */
export async function startTailJobs(
  url: string,
  count: number,
  names: (i: number) => { user: string; table: string },
): Promise<TailJob[]> {
  const out: TailJob[] = [];
  for (let i = 0; i < count; i++) {
    const { user, table: t } = names(i);
    const body = {
      request_id: `${user}-r`,
      user_id: user,
      project_tree: {
        "init/01.sql": `CREATE TABLE ${t} (v int);`,
        "seed/01.sql": `INSERT INTO ${t} VALUES (1), (2); SELECT pg_sleep(6);`,
        "test/q.sql": `SELECT count(*) AS n FROM ${t};`,
      },
      head_path: "test/q.sql",
      timeout_ms: 240_000,
    };
    const res = await api(url, "/v1/jobs", { body });
    expect(res.status).toBe(202);
    out.push({ jobId: ((await res.json()) as { job_id: string }).job_id, user, body });
  }
  return out;
}

export interface KillTally {
  completed: number;
  failed_platform: number;
  stuck: number;
  /** Completed, but the seed's rows are not there exactly once. */
  duplicated: number;
  /** Failed or canceled with a code that is not one of the platform's. */
  other: number;
}

/** How the ended `views` split up; a failure counts as the platform's if its code is in `codes`. */
export function tally(views: JobViewLite[], platformCodes: string[]): KillTally {
  const counts = { completed: 0, failed_platform: 0, stuck: 0, duplicated: 0, other: 0 };
  for (const v of views) {
    if (v.status === "completed") {
      counts.completed++;
      if (JSON.stringify(v.result?.sets.at(-1)?.rows) !== '[["2"]]') counts.duplicated++;
    } else if (v.status === "failed" && platformCodes.includes(v.error?.code ?? "")) {
      counts.failed_platform++;
    } else if (v.status !== "failed" && v.status !== "canceled") counts.stuck++;
    else counts.other++;
  }
  return counts;
}

/** One JSON line per kill in the test output: the run's figures (with the jobs' errors if given). */
export function logKill(kill: string, jobs: number, counts: object, views?: JobViewLite[]): void {
  const errors = views ? { errors: views.map((v) => v.error) } : {};
  console.log(JSON.stringify({ kill, jobs, ...counts, ...errors }));
}
