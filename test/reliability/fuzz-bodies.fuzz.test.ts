// 100,000 fuzzed requests against the Worker (issue 9: "100k fuzzed bodies, 0 x 5xx"). fast-check
// builds them from valid bodies, mutating fields (dropped, replaced by any JSON value, odd strings,
// extra keys, `__proto__`), plus raw text that is not JSON at all, for every route that takes a
// body or a query. Every answer must be below 500: a 5xx is a bug, whatever was sent.
//
// Bounded: batches of BATCH requests, CONCURRENCY at a time, a fixed seed (a failure reproduces
// with the same seed), and ids drawn from small pools, so the few bodies that are valid land on at
// most USERS x REQUEST_IDS jobs (the others answer 202 with `created: false` or 409) instead of
// creating thousands of Durable Objects. Runs in the `reliability-fuzz` project: no platform, the
// jobs that do start fail fast as `env_unavailable`.
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { call, createJob, shortJob, uid } from "../api/helpers.ts";

// SQL_RUNNER_FUZZ_TOTAL / SQL_RUNNER_FUZZ_SEED, passed as bindings by vitest.config.ts.
const knobs = env as unknown as { FUZZ_TOTAL?: string; FUZZ_SEED?: string };
const TOTAL = Number(knobs.FUZZ_TOTAL ?? 100_000);
const BATCH = 250;
const CONCURRENCY = 16;
const SEED = Number(knobs.FUZZ_SEED ?? 20261202);
const RUN = uid("fz");
const USERS = Array.from({ length: 4 }, (_, i) => `${RUN}-user-${i}`);
const REQUEST_IDS = Array.from({ length: 8 }, (_, i) => `${RUN}-req-${i}`);

interface Fuzzed {
  method: string;
  path: string;
  user?: string;
  /** JSON text or anything else. */
  raw?: string;
}

const oddString = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom(
    "",
    " ",
    "\u0000",
    "__proto__",
    "constructor",
    "../../etc/passwd",
    "a".repeat(300),
  ),
);
const anyValue = fc.oneof(fc.jsonValue({ maxDepth: 3 }), oddString);
const sqlText = fc.oneof(
  fc.constantFrom("SELECT 1;", "CREATE TABLE t (n int);", "\\i ../x.sql", "\\set x 1", ""),
  fc.string({ maxLength: 200 }),
);
const path = fc.oneof(
  fc.constantFrom("init/01.sql", "test/q.sql", "seed/a.sql", "sql-runner.toml", "x/"),
  fc.string({ maxLength: 30 }),
  fc.constantFrom("/abs.sql", "a/../b.sql", "a//b.sql", "__proto__", "a\u0000.sql"),
);
const fileValue = fc.oneof(
  { weight: 4, arbitrary: sqlText },
  { weight: 1, arbitrary: fc.record({ etag: oddString }) },
  { weight: 1, arbitrary: anyValue },
);
const tree = fc.oneof(
  { weight: 4, arbitrary: fc.dictionary(path, fileValue, { maxKeys: 6 }) },
  { weight: 1, arbitrary: anyValue },
);
const id = (pool: string[]) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...pool) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }).filter((v) => typeof v !== "string") },
    { weight: 1, arbitrary: fc.constantFrom("", "has space", "x".repeat(201), "é", "\u0000") },
  );

/** A field of a body: kept as generated (weight 5), dropped, or replaced by anything. */
function field<T>(arb: fc.Arbitrary<T>) {
  return fc.oneof(
    { weight: 5, arbitrary: arb },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: anyValue },
  );
}

const createBody = fc.record(
  {
    request_id: id(REQUEST_IDS),
    user_id: id(USERS),
    mode: field(fc.constantFrom("short", "long")),
    project_tree: field(tree),
    head_path: field(path),
    heads: field(fc.array(path, { maxLength: 3 })),
    variables: field(fc.dictionary(oddString, oddString, { maxKeys: 4 })),
    timeout_ms: field(fc.integer({ min: -10, max: 1_000_000 })),
    job_ttl: field(fc.integer({ min: 0, max: 40 * 24 * 3600 })),
    snapshot_ttl: field(fc.integer({ min: 0, max: 100 * 24 * 3600 })),
    telemetry_context: field(fc.dictionary(oddString, oddString, { maxKeys: 3 })),
    webhook: field(fc.record({ url: oddString, events: anyValue })),
    on_error: field(fc.constantFrom("stop", "continue", "other")),
    output: field(fc.constantFrom("json", "psql", ["json", "psql"], [], ["x"])),
    echo: field(fc.constantFrom("none", "all", 1)),
  },
  { requiredKeys: [] },
);

/** A valid create with one field replaced: most of these get past the schema into planning. */
const oneFieldOff = fc
  .tuple(
    fc.constantFrom(...USERS),
    fc.constantFrom(...REQUEST_IDS),
    fc.constantFrom("project_tree", "head_path", "variables", "heads", "mode", "output", "webhook"),
    fc.oneof(anyValue, tree, fc.constant(undefined)),
  )
  .map(([user_id, request_id, key, value]) => ({
    ...shortJob({ user_id, request_id }),
    [key]: value,
  }));

/** A body as text: JSON of the object (with an extra key sometimes), or text that is not JSON. */
function asText(body: fc.Arbitrary<unknown>): fc.Arbitrary<string> {
  const json = fc
    .tuple(body, fc.option(fc.tuple(oddString, anyValue), { freq: 4 }))
    .map(([b, extra]) => {
      const text = JSON.stringify(b) ?? "null";
      if (!extra || typeof b !== "object" || b === null || Array.isArray(b)) return text;
      const [k, v] = extra;
      // Raw, so `__proto__` reaches the server as a key (an object literal would set the prototype).
      return text === "{}"
        ? `{${JSON.stringify(k)}:${JSON.stringify(v) ?? "null"}}`
        : `{${JSON.stringify(k)}:${JSON.stringify(v) ?? "null"},${text.slice(1)}`;
    });
  const broken = fc.oneof(
    fc.string({ maxLength: 100 }),
    json.map((t) => t.slice(0, Math.max(0, t.length - 3))),
    fc.constantFrom("", "null", "[]", "{", '{"a":1}}', "\u0000", '{"request_id":1e999}'),
  );
  return fc.oneof({ weight: 6, arbitrary: json }, { weight: 1, arbitrary: broken });
}

function requests(jobIds: string[]): fc.Arbitrary<Fuzzed> {
  const user = fc.constantFrom(...USERS);
  const job = fc.oneof(fc.constantFrom(...jobIds), fc.constantFrom("unknown-job", "%00", "a%2Fb"));
  const query = fc
    .dictionary(
      fc.constantFrom("wait_ms", "after", "limit", "set", "x", "ticket"),
      fc.oneof(fc.integer({ min: -5, max: 40_000 }).map(String), fc.string({ maxLength: 10 })),
      { maxKeys: 3 },
    )
    .map((q) => {
      // Short waits: a long poll would hold a slot of the batch for seconds.
      if (q.wait_ms !== undefined && Number(q.wait_ms) > 50) q.wait_ms = "0";
      const s = new URLSearchParams(q).toString();
      return s ? `?${s}` : "";
    });
  return fc.oneof(
    {
      weight: 10,
      arbitrary: fc.record({
        method: fc.constant("POST"),
        path: fc.constant("/v1/jobs"),
        raw: asText(createBody),
      }),
    },
    {
      weight: 4,
      arbitrary: fc.record({
        method: fc.constant("POST"),
        path: fc.constant("/v1/jobs"),
        raw: asText(oneFieldOff),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        method: fc.constant("POST"),
        path: job.map((j) => `/v1/jobs/${j}/append`),
        user,
        raw: asText(
          fc.record(
            { part: field(fc.integer({ min: -1, max: 1001 })), project_tree: field(tree) },
            { requiredKeys: [] },
          ),
        ),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        method: fc.constant("POST"),
        path: job.map((j) => `/v1/jobs/${j}/run`),
        user,
        raw: asText(
          fc.record(
            {
              head_path: field(path),
              variables: field(fc.dictionary(oddString, oddString, { maxKeys: 3 })),
            },
            { requiredKeys: [] },
          ),
        ),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        method: fc.constant("POST"),
        path: job.map((j) => `/v1/jobs/${j}/extend`),
        user,
        raw: asText(
          fc.record(
            { job_ttl: field(fc.integer()), snapshot_ttl: field(fc.integer()) },
            { requiredKeys: [] },
          ),
        ),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        method: fc.constant("POST"),
        path: fc.constant("/v1/blobs/missing"),
        user,
        raw: asText(
          fc.record(
            { digests: field(fc.array(oddString, { maxLength: 5 })) },
            { requiredKeys: [] },
          ),
        ),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        method: fc.constant("PUT"),
        path: oddString.map((d) => `/v1/blobs/${encodeURIComponent(d)}`),
        user,
        raw: fc.string({ maxLength: 50 }),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        method: fc.constantFrom("POST", "GET"),
        path: fc
          .tuple(job, fc.constantFrom("ticket", "cancel", "webhooks", "logs", ""))
          .map(([j, tail]) => `/v1/jobs/${j}${tail ? `/${tail}` : ""}`),
        user,
        raw: fc.constant(undefined),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        method: fc.constant("GET"),
        path: fc
          .tuple(job, fc.constantFrom("", "/logs"), query)
          .map(([j, tail, q]) => `/v1/jobs/${j}${tail}${q}`),
        user: fc.option(user, { freq: 8 }).map((u) => u ?? undefined),
      }),
    },
  );
}

/** Jobs the fuzz started (valid creates and runs), waited for before the file ends. */
const started = new Map<string, string>();

async function send(r: Fuzzed): Promise<{ status: number; text: string }> {
  const res = await call(r.path, {
    method: r.method,
    ...(r.raw !== undefined ? { rawBody: r.raw } : {}),
    ...(r.user ? { user: r.user } : {}),
  });
  // The body is read for every answer: a stream failing half-way is a failure too.
  const text = await res.text();
  if (res.status === 202 && r.method === "POST") noteStarted(r, text);
  return { status: res.status, text };
}

function noteStarted(r: Fuzzed, text: string): void {
  const jobId = (JSON.parse(text) as { job_id?: string }).job_id;
  const user = r.user ?? (JSON.parse(r.raw ?? "{}") as { user_id?: string }).user_id;
  if (jobId && user) started.set(jobId, user);
}

/** Waits for every job the fuzz started: one still retrying the absent platform when workerd
 * shuts down would fail the run (test/support/settle-jobs.ts does the same for unit files). */
async function settle(): Promise<void> {
  for (const [jobId, user] of started) {
    for (let i = 0; i < 5; i++) {
      const res = await call(`/v1/jobs/${jobId}?wait_ms=20000`, { user });
      if (res.status !== 200) break;
      const { status } = await res.json<{ status: string }>();
      if (["completed", "failed", "canceled"].includes(status)) break;
    }
  }
}

describe("fuzzed bodies", () => {
  it(`${TOTAL} fuzzed requests: none answers 5xx`, async () => {
    // Jobs the path-bound routes can reach: long jobs (nothing runs until a run asks), one per user.
    const jobIds: string[] = [];
    for (const user of USERS) {
      jobIds.push(
        await createJob(shortJob({ user_id: user, mode: "long", request_id: uid("seed") })),
      );
    }
    const arb = requests(jobIds);
    const statuses = new Map<number, number>();
    const fivexx: { req: Fuzzed; status: number; text: string }[] = [];
    const t0 = Date.now();
    for (let done = 0, batch = 0; done < TOTAL; batch++) {
      const size = Math.min(BATCH, TOTAL - done);
      const reqs = fc.sample(arb, { numRuns: size, seed: SEED + batch });
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < reqs.length) {
            const req = reqs[next++] as Fuzzed;
            const t = Date.now();
            const got = await send(req);
            if (Date.now() - t > 5_000) {
              console.log(`slow: ${Date.now() - t} ms ${req.method} ${req.path} ${got.status}`);
            }
            statuses.set(got.status, (statuses.get(got.status) ?? 0) + 1);
            if (got.status >= 500 && fivexx.length < 20) fivexx.push({ req, ...got });
          }
        }),
      );
      done += size;
      // Progress with the counts so far: a run stopped early still says what it saw.
      const counts = JSON.stringify(Object.fromEntries(statuses));
      const secs = Math.round((Date.now() - t0) / 1000);
      console.log(`fuzz: ${done} sent, ${secs} s, 5xx ${fivexx.length}, ${counts}`);
    }
    await settle();
    // The figures for docs/benchmarks.md.
    console.log(
      JSON.stringify({
        fuzz: {
          total: TOTAL,
          seed: SEED,
          seconds: Math.round((Date.now() - t0) / 1000),
          jobs_started: started.size,
          statuses: Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])),
        },
      }),
    );
    expect(fivexx).toEqual([]);
    expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(TOTAL);
  }, 3_600_000);
});
