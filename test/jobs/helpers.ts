// Helpers for the end-to-end job tests: create, poll to a terminal state, read the events.
import type { JobView } from "../../src/jobs/model.ts";
import { call, uid } from "../api/helpers.ts";

export { call, uid };

const TERMINAL = new Set(["completed", "failed", "canceled"]);

export async function getJob(jobId: string, user: string, waitMs = 0): Promise<JobView> {
  const res = await call(`/v1/jobs/${jobId}${waitMs > 0 ? `?wait_ms=${waitMs}` : ""}`, { user });
  if (res.status !== 200) throw new Error(`GET job: ${res.status} ${await res.text()}`);
  return res.json<JobView>();
}

/**
 * Long-polls (`?wait_ms=`) until the job is terminal: the server answers as soon as it ends, so
 * no sleep (the test's own timeout bounds the wait).
 */
export async function waitDone(jobId: string, user: string): Promise<JobView> {
  for (;;) {
    const view = await getJob(jobId, user, 30_000);
    if (TERMINAL.has(view.status)) return view;
  }
}

export async function waitFor(
  jobId: string,
  user: string,
  ok: (v: JobView) => boolean,
): Promise<JobView> {
  for (;;) {
    const view = await getJob(jobId, user);
    if (ok(view) || TERMINAL.has(view.status)) return view;
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface Submitted {
  jobId: string;
  user: string;
}

/**
 * The user of every job a test file submits without naming one (this module is loaded once per
 * test file): a job reports reused steps only for prefixes its own user ran before
 * (src/tenant/reuse-report.ts), so a file's second run of a tail must come from the same user.
 * Tests about several users name each one.
 */
export const FILE_USER = uid("user");

export async function submit(body: Record<string, unknown>): Promise<Submitted> {
  const user = typeof body.user_id === "string" ? body.user_id : FILE_USER;
  const full = { request_id: uid("req"), ...body, user_id: user };
  const res = await call("/v1/jobs", { body: full });
  if (res.status !== 202) throw new Error(`create: ${res.status} ${await res.text()}`);
  const { job_id } = await res.json<{ job_id: string }>();
  return { jobId: job_id, user };
}

export async function runToEnd(body: Record<string, unknown>): Promise<JobView & Submitted> {
  const s = await submit(body);
  const view = await waitDone(s.jobId, s.user);
  return { ...view, ...s };
}

/** A small project of its own per test (a unique table name keeps hashes apart). */
export function project(tag: string = crypto.randomUUID().slice(0, 8)): Record<string, string> {
  return {
    "init/01_schema.sql": `CREATE TABLE items_${tag.replace(/-/g, "_")} (id int PRIMARY KEY, name text NOT NULL, price numeric(8,2));`,
    "seed/01_items.sql": `INSERT INTO items_${tag.replace(/-/g, "_")} VALUES (1, 'apple', 1.20), (2, 'pear', 0.80);`,
    "seed/02_more.sql": `INSERT INTO items_${tag.replace(/-/g, "_")} VALUES (3, 'plum', 2.50);`,
    "test/all.sql": `SELECT id, name, price FROM items_${tag.replace(/-/g, "_")} ORDER BY id;`,
    "test/count.sql": `SELECT count(*) AS n, sum(price) AS total FROM items_${tag.replace(/-/g, "_")};`,
  };
}
