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
  return exports.default.fetch(`${BASE}${path}`, {
    method: opts.method ?? (body !== undefined ? "POST" : "GET"),
    headers,
    body,
  });
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
