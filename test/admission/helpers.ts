// Admission tests run each in a pool of their own (an AdmissionObject with tiny caps), so they
// cross its caps without touching the deployment's "global" pool the other tests use.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import type { AdmissionLimits, Place } from "../../src/admission/queue.ts";
import { jobIdFor } from "../../src/jobs/job-id.ts";
import type { JobObject } from "../../src/objects/job-object.ts";
import { call, uid } from "../api/helpers.ts";

/** A head that holds its slot until the job is canceled, and one that ends at once. */
export const BLOCK = "SELECT pg_sleep(600);";
export const QUICK = "SELECT 42 AS answer;";

export function jobStub(jobId: string): DurableObjectStub<JobObject> {
  return env.JOBS.get(env.JOBS.idFromName(jobId));
}

export function poolStub(pool: string) {
  return env.ADMISSION.get(env.ADMISSION.idFromName(pool));
}

export async function newPool(limits: Partial<AdmissionLimits>): Promise<string> {
  const pool = uid("pool");
  await poolStub(pool).configure(limits);
  return pool;
}

/** A short job of `user` whose head is `sql`, created in `pool`; answers the create's response. */
export async function createIn(
  pool: string,
  user: string,
  sql: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<{ jobId: string; res: Response }> {
  const requestId = uid("req");
  const jobId = await jobIdFor(user, requestId);
  // The job object reads the pool when it first asks to run: set it before the create.
  await runInDurableObject(jobStub(jobId), (obj) => {
    obj.overrides = { admissionPool: pool };
  });
  const res = await call("/v1/jobs", {
    body: {
      request_id: requestId,
      user_id: user,
      project_tree: {
        // One tail per pool: its jobs share the layer after the first.
        "init/01.sql": `CREATE TABLE t_${pool.replace(/[^a-z0-9]/gi, "_")} (x int);`,
        "test/head.sql": sql,
      },
      head_path: "test/head.sql",
      ...extra,
    },
    headers,
  });
  return { jobId, res };
}

/** The job id of a create that must be accepted: 202, else the failure shows the answer's body. */
export async function accepted(p: Promise<{ jobId: string; res: Response }>): Promise<string> {
  const { jobId, res } = await p;
  expect(res.status, await res.clone().text()).toBe(202);
  return jobId;
}

export async function placeOf(pool: string, jobId: string): Promise<Place> {
  return poolStub(pool).place({ jobId, userId: "", userRunningCap: 0 });
}
