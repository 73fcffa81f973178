// Setup file of the integration project: after each file, wait until the jobs it started have
// ended and let go of what they hold outside their own object. A job's status turns terminal
// first; its alarm then releases the admission slot (a call into the AdmissionObject, which may
// wake the next job), and its end's audit record reaches the AUDIT queue's consumer up to about
// two seconds later (telemetry flush, then the batch timeout). Any of these arriving after the
// file's last test is a call into the file's workerd while vitest closes it, which imports the
// Worker's module again: `EnvironmentTeardownError: Closing rpc while "resolve" was pending`
// (seen in CI after test/jobs/layers.integration.test.ts, whose last test ends as three jobs do).
// The waits are bounded and never fail a file: a test may have stopped the audit-log service.
import { runInDurableObject } from "cloudflare:test";
import { afterAll } from "vitest";
import { DEFAULT_POOL } from "../../src/admission/config.ts";
import { jobStub, poolStub } from "../admission/helpers.ts";
import { type StartedJob, settleRunningJobs } from "../api/helpers.ts";
import { auditOf } from "../telemetry/helpers.ts";

const SETTLE_MS = 10_000;
const POLL_MS = 25;
const ENDED = new Set(["job.completed", "job.failed", "job.timeout", "job.canceled"]);

afterAll(async () => {
  const ended = await settleRunningJobs(1);
  await Promise.all(ended.map(settleJob));
}, 90_000);

async function settleJob(job: StartedJob): Promise<void> {
  const pool = await runInDurableObject(
    jobStub(job.jobId),
    (obj) => obj.overrides.admissionPool ?? DEFAULT_POOL,
  );
  await until(async () => {
    const place = await poolStub(pool).place({
      jobId: job.jobId,
      userId: job.user,
      userRunningCap: 1,
    });
    return !place.granted && place.position === null;
  });
  await until(() =>
    auditOf({ job_id: job.jobId }).then(
      (records) => records.some((r) => ENDED.has(r.action)),
      () => false,
    ),
  );
}

/** Polls `done` until it answers true or SETTLE_MS passed. */
async function until(done: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + SETTLE_MS;
  while (Date.now() < end) {
    if (await done()) return;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
