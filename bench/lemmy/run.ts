// `npm run bench:lemmy`: Lemmy's 233 diesel migrations (LemmyNet/lemmy at f05afead) as a job's tail,
// end to end through `wrangler dev`, in one run:
//   - a cold job with a layer after every step (the default, `"layers": "every-step"`); a job runs
//     900 s at most, so a slower chain is finished by the same job again (it resumes from its layers)
//   - the same chain, cold, with stage-end layers only (`"layers": "stage-ends"`)
//   - the every-step chain with migration 100 edited: it must reuse 99 steps and replay 134
// The repository does not carry Lemmy's files: point LEMMY_GIT_DIR at any clone of LemmyNet/lemmy
// (the migrations are read at LEMMY_COMMIT with `git`), or LEMMY_MIGRATIONS at a folder holding
// the commit's `migrations/`. BENCH_LEMMY_STEPS takes only the first N migrations (a shorter run);
// BENCH_LEMMY_EDIT names the migration to edit (default 100); BENCH_LEMMY_MODE=edit measures only the
// edit (a job over migrations 1..EDIT-1, then the whole chain with migration EDIT edited).
// Prints a markdown table for docs/benchmarks.md.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { startStack } from "../../infra/local-dev/stack.ts";

const COMMIT = process.env.LEMMY_COMMIT ?? "f05afead";
const STEPS = Number(process.env.BENCH_LEMMY_STEPS ?? 233);
const EDIT = Number(process.env.BENCH_LEMMY_EDIT ?? 100);
const TOKEN = "dev-gateway-token";
const HEAD = "SELECT count(*) AS tables FROM pg_tables WHERE schemaname = 'public';\n";

/** [directory name, up.sql text] in diesel's order (directory names sort by date). */
function migrations(): [string, string][] {
  const gitDir = process.env.LEMMY_GIT_DIR;
  const dir = process.env.LEMMY_MIGRATIONS;
  if (gitDir) {
    const git = (...args: string[]) =>
      execFileSync("git", ["--git-dir", gitDir, ...args], {
        encoding: "utf8",
        maxBuffer: 64 << 20,
      });
    // One listing of the whole folder: entries that are files (not migrations) are skipped.
    const ups = git("ls-tree", "-r", "--name-only", COMMIT, "migrations/")
      .split("\n")
      .filter((p) => /^migrations\/[^/]+\/up\.sql$/.test(p))
      .sort();
    return ups.map((p) => [p.split("/")[1] ?? p, git("show", `${COMMIT}:${p}`)]);
  }
  if (dir && existsSync(dir)) {
    return readdirSync(dir)
      .filter((n) => existsSync(join(dir, n, "up.sql")))
      .sort()
      .map((n) => [n, readFileSync(join(dir, n, "up.sql"), "utf8")]);
  }
  throw new Error("set LEMMY_GIT_DIR (a clone of LemmyNet/lemmy) or LEMMY_MIGRATIONS");
}

interface View {
  status: string;
  error: { code: string; message: string } | null;
  snapshot: { hit: boolean; replayed_steps: number; reused_steps: number } | null;
  metrics: { latency_ms: number | null; stages_ms: Record<string, number> };
}

interface Run {
  ms: number;
  view: View;
  load: number;
}

async function runJob(
  base: string,
  tree: Record<string, string>,
  tag: string,
  timeoutOk = false,
): Promise<Run> {
  const user = "bench-lemmy";
  const headers = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
  const body = JSON.stringify({
    request_id: `lemmy-${tag}-${Date.now()}`,
    user_id: user,
    project_tree: tree,
    head_path: "test/tables.sql",
    timeout_ms: 900_000,
  });
  const t0 = performance.now();
  const res = await fetch(`${base}/v1/jobs`, { method: "POST", headers, body });
  if (res.status !== 202) throw new Error(`create: ${res.status} ${await res.text()}`);
  const { job_id } = (await res.json()) as { job_id: string };
  for (;;) {
    const r = await fetch(`${base}/v1/jobs/${job_id}?wait_ms=30000`, {
      headers: { ...headers, "x-user-id": user },
    });
    const view = (await r.json()) as View;
    if (["completed", "failed", "canceled"].includes(view.status)) {
      const ms = performance.now() - t0;
      const load = loadavg()[0] ?? 0;
      if (timeoutOk && view.status === "failed" && view.error?.code === "timeout")
        return { ms, view, load };
      if (view.status !== "completed")
        throw new Error(`${tag}: job ${view.status}: ${view.error?.code} ${view.error?.message}`);
      return { ms, view, load };
    }
  }
}

const all = migrations().slice(0, STEPS);
if (all.length < EDIT) throw new Error(`only ${all.length} migrations, cannot edit number ${EDIT}`);
/** A tree whose chain differs from every other run's (`salt` in step 1), same SQL otherwise. */
function tree(
  layers: "every-step" | "stage-ends",
  salt: string,
  edit?: number,
  steps = all.length,
) {
  const t: Record<string, string> = {
    "sql-runner.json": JSON.stringify({ stages: ["migrations"], layers }),
    "test/tables.sql": HEAD,
  };
  all.slice(0, steps).forEach(([name, sql], i) => {
    const n = i + 1;
    let text = n === 1 ? `-- bench run ${salt}\n${sql}` : sql;
    if (n === edit) text = `${text}\n-- edited\nSELECT 1;\n`;
    t[`migrations/${String(n).padStart(3, "0")}_${name}.sql`] = text;
  });
  return t;
}

const dataDir = await mkdtemp(join(tmpdir(), "bench-lemmy-"));
const persistTo = await mkdtemp(join(tmpdir(), "bench-lemmy-wrangler-"));
const stack = await startStack({
  port: 0,
  quiet: true,
  persistTo,
  platform: { dataDir, token: "bench-lemmy-token", gcIntervalMs: 0 },
});
const salt = `${Date.now()}`;
const log = (s: string) => console.error(`${new Date().toISOString()} ${s}`);
try {
  log(`stack up at ${stack.url}; ${all.length} migrations; load ${loadavg()[0]?.toFixed(1)}`);
  if (process.env.BENCH_LEMMY_MODE === "edit") {
    // Only the edit: layers 1..EDIT-1 from a job over that prefix (the same prefix hashes as the
    // whole chain's), then the whole chain with migration EDIT edited.
    const prefix = await runJob(
      stack.url,
      tree("every-step", `${salt}-every`, undefined, EDIT - 1),
      "prefix",
    );
    log(
      `prefix 1..${EDIT - 1}: ${prefix.ms.toFixed(0)} ms ${JSON.stringify(prefix.view.snapshot)}`,
    );
    const edited = await runJob(stack.url, tree("every-step", `${salt}-every`, EDIT), "edit", true);
    log(
      `edit ${EDIT}: ${edited.ms.toFixed(0)} ms ${edited.view.status} ${JSON.stringify(edited.view.snapshot)}`,
    );
    console.log(`| job | ms | status | replayed | reused | load |\n|---|---:|---|---:|---:|---:|`);
    for (const [what, r] of [
      [`every-step, migrations 1-${EDIT - 1}`, prefix],
      [`every-step, all ${all.length}, migration ${EDIT} edited`, edited],
    ] as const)
      console.log(
        `| ${what} | ${r.ms.toFixed(0)} | ${r.view.status} | ${r.view.snapshot?.replayed_steps} | ${r.view.snapshot?.reused_steps} | ${r.load.toFixed(1)} |`,
      );
  } else {
    // Stage-ends first, then every-step: neither warms the other (different chains).
    const ends = await runJob(stack.url, tree("stage-ends", `${salt}-ends`), "stage-ends");
    log(`stage-ends cold: ${ends.ms.toFixed(0)} ms ${JSON.stringify(ends.view.snapshot)}`);
    // A job may run 900 s at most: an every-step chain slower than that fails with `timeout`, but the
    // layers it published stay, so the same job again goes on from its last layer.
    const everyTree = tree("every-step", `${salt}-every`);
    const attempts: Run[] = [];
    let every: Run | null = null;
    const t0 = performance.now();
    for (let i = 0; i < 3 && !every; i++) {
      const r = await runJob(stack.url, everyTree, `every-step-${i}`, true);
      attempts.push(r);
      log(
        `every-step cold attempt ${i + 1}: ${r.ms.toFixed(0)} ms ${r.view.status} ${JSON.stringify(r.view.snapshot)}`,
      );
      if (r.view.status === "completed") every = r;
    }
    if (!every) throw new Error("the every-step chain did not complete in 3 jobs");
    const everyTotal = performance.now() - t0;
    const edited = await runJob(stack.url, tree("every-step", `${salt}-every`, EDIT), "edit");
    log(`edit ${EDIT}: ${edited.ms.toFixed(0)} ms ${JSON.stringify(edited.view.snapshot)}`);
    const row = (what: string, r: typeof ends, vs: number) =>
      `| ${what} | ${r.ms.toFixed(0)} | ${(r.ms / vs).toFixed(2)}x | ${r.view.snapshot?.replayed_steps} | ${r.view.snapshot?.reused_steps} | ${r.load.toFixed(1)} |`;
    console.log(
      `Lemmy ${COMMIT}: ${all.length} migrations, one run; load = 1-min load average at the job's end.\n`,
    );
    console.log("| job | ms | vs stage-ends cold | replayed | reused | load |");
    console.log("|---|---:|---:|---:|---:|---:|");
    console.log(row("cold, stage-end layers only (baseline)", ends, ends.ms));
    for (const [i, a] of attempts.entries()) {
      const what = `cold, a layer after every step: job ${i + 1} of ${attempts.length} (${a.view.status})`;
      console.log(row(what, a, ends.ms));
    }
    console.log(
      `| cold, a layer after every step: all ${attempts.length} jobs | ${everyTotal.toFixed(0)} | ${(everyTotal / ends.ms).toFixed(2)}x | 233 | | ${every.load.toFixed(1)} |`,
    );
    console.log(row(`every-step chain, migration ${EDIT} edited`, edited, ends.ms));
    console.log(
      `\ncold stages every-step (last job): ${JSON.stringify(every.view.metrics.stages_ms)}`,
    );
    console.log(`cold stages stage-ends: ${JSON.stringify(ends.view.metrics.stages_ms)}`);
  }
} finally {
  await stack.close();
  await rm(dataDir, { recursive: true, force: true });
  await rm(persistTo, { recursive: true, force: true });
}
