// Shared helpers for API tests: authenticated calls to the worker and unique ids per test.
import { exports } from "cloudflare:workers";

export const TOKEN = "dev-gateway-token";
const BASE = "http://sql-runner.test";

export function uid(prefix = "t"): string {
  return `${prefix}-${crypto.randomUUID()}`;
}

export interface CallOptions {
  method?: string;
  body?: unknown;
  rawBody?: string;
  user?: string;
  token?: string | null;
  headers?: Record<string, string>;
}

export async function call(path: string, opts: CallOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token !== null) headers.authorization = `Bearer ${opts.token ?? TOKEN}`;
  if (opts.user) headers["x-user-id"] = opts.user;
  let body: string | undefined;
  if (opts.rawBody !== undefined) body = opts.rawBody;
  else if (opts.body !== undefined) body = JSON.stringify(opts.body);
  if (body !== undefined) headers["content-type"] = "application/json";
  const method = opts.method ?? (body !== undefined ? "POST" : "GET");
  const res = await exports.default.fetch(`${BASE}${path}`, { method, headers, body });
  if (method === "POST" && res.status === 202) await noteRunningJob(path, opts, res.clone());
  return res;
}

/** Jobs a test started that run in the background (short creates, runs of long jobs). */
export interface StartedJob {
  jobId: string;
  user: string;
}
const running: StartedJob[] = [];

async function noteRunningJob(path: string, opts: CallOptions, res: Response): Promise<void> {
  const sent = (opts.body ?? {}) as { mode?: string; user_id?: string };
  const { job_id } = await res.json<{ job_id?: string }>().catch(() => ({ job_id: undefined }));
  if (!job_id) return;
  if (path === "/v1/jobs" && sent.mode !== "long" && sent.user_id) {
    running.push({ jobId: job_id, user: sent.user_id });
  } else if (path.endsWith("/run") && opts.user) {
    running.push({ jobId: job_id, user: opts.user });
  }
}

/**
 * Waits until every job the file started has ended (test/support/settle-jobs.ts runs it after
 * each unit file): a job still retrying the absent platform when the file's workerd is torn
 * down logs into a closed channel, and vitest counts that as an error of the run. Answers the
 * jobs that ended (within `rounds` long polls of 20 s).
 */
export async function settleRunningJobs(rounds = 3): Promise<StartedJob[]> {
  const jobs = running.splice(0);
  const ended = await Promise.all(
    jobs.map(async (job) => {
      for (let i = 0; i < rounds; i++) {
        const res = await call(`/v1/jobs/${job.jobId}?wait_ms=20000`, { user: job.user });
        if (res.status !== 200) return null;
        const { status } = await res.json<{ status: string }>();
        if (status === "completed" || status === "failed" || status === "canceled") return job;
      }
      return null;
    }),
  );
  return ended.filter((j): j is StartedJob => j !== null);
}

export interface ErrorJson {
  error: { code: string; message: string; field?: string; path?: string; [k: string]: unknown };
}

export async function errorOf(res: Response): Promise<ErrorJson["error"]> {
  const json = await res.json<ErrorJson>();
  return json.error;
}

export function shortJob(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    request_id: uid("req"),
    user_id: uid("user"),
    project_tree: {
      "init/01_schema.sql": "CREATE TABLE t (id int PRIMARY KEY, name text);",
      "seed/01_rows.sql": "INSERT INTO t VALUES (1, 'a'), (2, 'b');",
      "test/select.sql": "SELECT * FROM t ORDER BY id;",
    },
    head_path: "test/select.sql",
    ...overrides,
  };
}

export async function createJob(body: Record<string, unknown>): Promise<string> {
  const res = await call("/v1/jobs", { body });
  if (res.status !== 202) throw new Error(`create: ${res.status} ${await res.text()}`);
  const json = await res.json<{ job_id: string }>();
  return json.job_id;
}
