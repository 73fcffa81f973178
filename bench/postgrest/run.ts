// `npm run bench:postgrest`: PostgREST's test fixtures (`test/spec/fixtures/load.sql` and what it
// includes, PostgREST/postgrest at 48346789) as a job's tail, end to end through `wrangler dev`, as
// PostgREST's own test harness loads them (`psql -v PGUSER=... -v ON_ERROR_STOP=1 -f load.sql` after
// `createuser` of the authenticator role). In one run:
//   1. the fixtures unmodified: the job fails at the first statement the platform's role may not run
//      (it is not a superuser), with its file and line
//   2. the same files as a head in `continue` mode (load.sql without its `\set ON_ERROR_STOP on`):
//      every error, each given a cause: `superuser` (SQLSTATE 42501), `postgis` (not on the platform)
//      or `dependent` (it names an object only a cut statement creates). An error with no cause
//      fails the bench: it would be the engine's fault, not the fixtures'
//   3. the fixtures with exactly those statements cut (each replaced by blank lines, so every other
//      line keeps its number): a cold job with load.sql as one step must complete; then the same
//      files as one step per fixture (the order load.sql includes them in): cold, a warm hit, and
//      data.sql edited (only its step replays)
// The repository does not carry PostgREST's files: point POSTGREST_GIT_DIR at any clone of
// PostgREST/postgrest (the files are read at POSTGREST_COMMIT with `git`). Prints markdown for
// docs/benchmarks.md.
import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { startStack } from "../../infra/local-dev/stack.ts";
import { type HeadErrorView, planCuts } from "./cuts.ts";

const COMMIT = process.env.POSTGREST_COMMIT ?? "4834678902681402a56c490f29947826e7ed5308";
const TOKEN = "dev-gateway-token";
const USER = "bench-postgrest";
const FIXTURES = "postgrest/test/spec/fixtures";
// PostgREST's harness (nix/tools/withTools.nix): `createuser "$PGUSER" --no-createdb --no-inherit
// --no-superuser --no-createrole --no-replication --login`, then `psql -v PGUSER="$PGUSER"`. Tail
// steps get no job variables (they are not in the tail hash), so the step sets it as -v would.
const AUTHENTICATOR = "Postgrest_Test_Authenticator";
const CHECK = `SELECT count(*) AS tables FROM pg_tables WHERE schemaname = 'test';
SELECT count(*) AS routines FROM pg_proc WHERE pronamespace = 'test'::regnamespace;
SELECT rolname FROM pg_roles WHERE rolname LIKE 'postgrest_test_%' ORDER BY 1;
SELECT count(*) AS items FROM test.items;
`;

/** PostgREST's files under `postgrest/`, at their repository paths (so load.sql's `\ir` resolve). */
function postgrestFiles(): Record<string, string> {
  const gitDir = process.env.POSTGREST_GIT_DIR;
  if (!gitDir) throw new Error("set POSTGREST_GIT_DIR (a clone of PostgREST/postgrest)");
  const git = (...args: string[]) =>
    execFileSync("git", ["--git-dir", gitDir, ...args], { encoding: "utf8", maxBuffer: 64 << 20 });
  const paths = [
    "test/orioledb.sql",
    ...git("ls-tree", "--name-only", COMMIT, "test/spec/fixtures/")
      .split("\n")
      .filter((p) => p.endsWith(".sql")),
  ];
  return Object.fromEntries(paths.map((p) => [`postgrest/${p}`, git("show", `${COMMIT}:${p}`)]));
}

interface View {
  status: string;
  error: { code: string; message: string; file?: string; line?: number } | null;
  snapshot: { hit: boolean; replayed_steps: number; reused_steps: number } | null;
  result: {
    sets: { rows: (string | null)[][]; columns: { name: string }[] }[];
    errors: HeadErrorView[];
  } | null;
  metrics: { latency_ms: number | null; stages_ms: Record<string, number> };
}

async function runJob(base: string, body: object, tag: string) {
  const headers = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
  const t0 = performance.now();
  const res = await fetch(`${base}/v1/jobs`, {
    method: "POST",
    headers,
    body: JSON.stringify({
      request_id: `postgrest-${tag}-${Date.now()}`,
      user_id: USER,
      timeout_ms: 600_000,
      ...body,
    }),
  });
  if (res.status !== 202) throw new Error(`${tag}: create ${res.status} ${await res.text()}`);
  const { job_id } = (await res.json()) as { job_id: string };
  for (;;) {
    const r = await fetch(`${base}/v1/jobs/${job_id}?wait_ms=30000`, {
      headers: { ...headers, "x-user-id": USER },
    });
    const view = (await r.json()) as View;
    if (["completed", "failed", "canceled"].includes(view.status))
      return { ms: performance.now() - t0, view, load: loadavg()[0] ?? 0 };
  }
}

const original = postgrestFiles();
const load = original[`${FIXTURES}/load.sql`];
if (!load?.includes("\\set ON_ERROR_STOP on")) throw new Error("load.sql is not as expected");
const AUTHENTICATOR_STEP = `CREATE ROLE "${AUTHENTICATOR}" LOGIN NOINHERIT;\n`;
/** The tail as PostgREST runs it: one step, load.sql. */
const tailTree = (files: Record<string, string>) => ({
  ...files,
  "init/0_authenticator.sql": AUTHENTICATOR_STEP,
  "init/1_fixtures.sql": `\\set PGUSER ${AUTHENTICATOR}\n\\i ${FIXTURES}/load.sql\n`,
  "test/check.sql": CHECK,
});
/** One step per file load.sql includes, in its order: editing data.sql replays only data.sql. */
const includes = [...load.matchAll(/^\\ir\s+(\S+)/gm)].map((m) => m[1] ?? "");
const stepTree = (files: Record<string, string>) => ({
  ...files,
  "init/0_authenticator.sql": AUTHENTICATOR_STEP,
  ...Object.fromEntries(
    includes.map((inc, i) => [
      `init/${String(i + 1).padStart(2, "0")}_${inc.split("/").pop()}`,
      `\\set PGUSER ${AUTHENTICATOR}\n\\i ${join(FIXTURES, inc)}\n`,
    ]),
  ),
  "test/check.sql": CHECK,
});

const dataDir = await mkdtemp(join(tmpdir(), "bench-postgrest-"));
const persistTo = await mkdtemp(join(tmpdir(), "bench-postgrest-wrangler-"));
const stack = await startStack({
  port: 0,
  quiet: true,
  persistTo,
  platform: { dataDir, token: "bench-postgrest-token", gcIntervalMs: 0 },
});
const log = (s: string) => console.error(`${new Date().toISOString()} ${s}`);
let failed = false;
try {
  log(
    `stack up at ${stack.url}; PostgREST ${COMMIT.slice(0, 8)}; load ${loadavg()[0]?.toFixed(1)}`,
  );
  const head = { head_path: "test/check.sql" };

  // 1. Unmodified.
  const asIs = await runJob(stack.url, { project_tree: tailTree(original), ...head }, "as-is");
  const e = asIs.view.error;
  log(`unmodified: ${asIs.view.status} ${e?.code} ${e?.file}:${e?.line} ${e?.message}`);

  // 2. Every error, in continue mode (the tail is the authenticator role only).
  const continueTree: Record<string, string> = {
    ...original,
    [`${FIXTURES}/load_continue.sql`]: load.replace("\\set ON_ERROR_STOP on", ""),
    "init/0_authenticator.sql": `CREATE ROLE "${AUTHENTICATOR}" LOGIN NOINHERIT;\n`,
  };
  const all = await runJob(
    stack.url,
    {
      project_tree: continueTree,
      head_path: `${FIXTURES}/load_continue.sql`,
      on_error: "continue",
      variables: { PGUSER: AUTHENTICATOR },
    },
    "continue",
  );
  if (all.view.status !== "completed" || !all.view.result)
    throw new Error(`continue job: ${all.view.status} ${JSON.stringify(all.view.error)}`);
  const plan = planCuts(original, all.view.result.errors);
  log(`continue: ${all.view.result.errors.length} errors, ${plan.cuts.length} statements cut`);

  // 3. With the cuts: load.sql as one step; then one step per file: cold, warm, data.sql edited.
  const one = await runJob(stack.url, { project_tree: tailTree(plan.files), ...head }, "one-step");
  const cold = await runJob(stack.url, { project_tree: stepTree(plan.files), ...head }, "cold");
  const warm = await runJob(stack.url, { project_tree: stepTree(plan.files), ...head }, "warm");
  const data = `${FIXTURES}/data.sql`;
  const edited = { ...plan.files, [data]: `${plan.files[data]}\n-- edited\nSELECT 1;\n` };
  const edit = await runJob(stack.url, { project_tree: stepTree(edited), ...head }, "edit");
  const jobs = [
    ["unmodified (load.sql as one step)", asIs],
    [`${plan.cuts.length} statements cut, load.sql as one step, cold`, one],
    [`cut, one step per fixture file (${includes.length}), cold`, cold],
    ["cut, one step per fixture file, warm hit", warm],
    ["cut, one step per fixture file, data.sql edited", edit],
  ] as const;
  for (const [what, r] of jobs.slice(1)) {
    log(
      `${what}: ${r.view.status} ${r.ms.toFixed(0)} ms ${JSON.stringify(r.view.snapshot)} ${JSON.stringify(r.view.error)}`,
    );
    if (r.view.status !== "completed") failed = true;
  }
  if (JSON.stringify(warm.view.result?.sets) !== JSON.stringify(one.view.result?.sets)) {
    failed = true;
    console.error("the per-file tail's head rows differ from the one-step tail's");
  }

  console.log(
    `PostgREST ${COMMIT.slice(0, 8)} test/spec/fixtures, as the platform's role (not a superuser).\n`,
  );
  console.log(
    `Unmodified: ${asIs.view.status}, \`${e?.code}\` at ${e?.file}:${e?.line}: ${e?.message}\n`,
  );
  console.log(
    `Continue mode: ${all.view.result.errors.length} errors; every one has a cause: ${plan.unexplained.length === 0 ? "yes" : "NO"}\n`,
  );
  console.log("| file:line | SQLSTATE | cause | error |\n|---|---|---|---|");
  for (const c of plan.causes)
    console.log(
      `| ${c.error.file.replace("postgrest/", "")}:${c.error.line} | ${c.error.sqlstate ?? ""} | ${c.cause} | ${c.error.message.replace(/\|/g, "\\|")} |`,
    );
  console.log("\n| job | status | ms | replayed | reused | load |\n|---|---|---:|---:|---:|---:|");
  for (const [what, r] of jobs)
    console.log(
      `| ${what} | ${r.view.status} | ${r.ms.toFixed(0)} | ${r.view.snapshot?.replayed_steps ?? ""} | ${r.view.snapshot?.reused_steps ?? ""} | ${r.load.toFixed(1)} |`,
    );
  const rows = warm.view.result?.sets.map((s) => s.rows.map((row) => row.join(",")).join(" "));
  console.log(`\nwarm head: ${JSON.stringify(rows)}`);
  if (plan.unexplained.length > 0) {
    failed = true;
    console.error("errors without a cause:", plan.unexplained);
  }
} finally {
  await stack.close();
  await rm(dataDir, { recursive: true, force: true });
  await rm(persistTo, { recursive: true, force: true });
}
if (failed) process.exit(1);
