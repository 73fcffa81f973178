// `npm run bench`: jobs end to end through `wrangler dev` over HTTP, with pagila (schema + COPY
// data) as the tail and a small head. In one run: a cold job (replay + layers), warm-hit jobs
// (p50), and the naive baseline: a fresh database, `psql -f` of the same files, then the head.
// Prints a markdown table for docs/benchmarks.md.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { startStack } from "../../infra/local-dev/stack.ts";
import { createEnvManagerClient } from "../../src/clients/env-manager.ts";
import { psql } from "../shared/psql.ts";

const WARM_RUNS = Number(process.env.BENCH_WARM_RUNS ?? 30);
const BASELINE_RUNS = Number(process.env.BENCH_BASELINE_RUNS ?? 3);
/** How many warm hits are started at once in the concurrency series (issue 13 item 6). */
const CONCURRENT = Number(process.env.BENCH_CONCURRENT ?? 50);
/** The polling client's interval: a gateway doing "fire-and-forget + quick polling". */
const POLL_MS = 5;
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const CORPORA = process.env.SQL_RUNNER_CORPORA ?? resolve(ROOT, "../shared/corpora");
const TOKEN = "dev-gateway-token";
// Two pooled instances per hot layer at least, up to six while back-to-back or concurrent hits
// take them faster than one boot (pool-demand.ts); refills start at once, two at a time.
const POOL = {
  perSource: 2,
  maxPerSource: 6,
  recentSources: 4,
  maxTotal: 8,
  memoryBudgetBytes: 512 << 20,
  instanceBytes: 48 << 20,
  prewarmBase: true,
  refillDelayMs: 0,
  refillConcurrency: 2,
};
const HEAD = `SELECT f.rating, count(*) AS films, round(avg(f.rental_rate), 2) AS avg_rate
FROM film f GROUP BY f.rating ORDER BY f.rating;
SELECT count(*) AS rentals FROM rental;
`;

interface View {
  status: string;
  error: { code: string; message: string } | null;
  snapshot: { hit: boolean; replayed_steps: number; reused_steps: number } | null;
  result: { sets: { rows: (string | null)[][] }[] } | null;
  metrics: { latency_ms: number | null; stages_ms: Record<string, number> };
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (s[lo] ?? 0) + ((s[hi] ?? 0) - (s[lo] ?? 0)) * (pos - lo);
}

/** How the client waits for the job: one long poll (`?wait_ms=`), or a GET every POLL_MS. */
type WaitMode = "long-poll" | "poll";

async function runJob(
  base: string,
  tree: Record<string, string | { etag: string }>,
  tag: string,
  mode: WaitMode = "long-poll",
  onError: "stop" | "continue" = "stop",
) {
  const user = "bench-user";
  const headers = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
  const body = JSON.stringify({
    request_id: `bench-${tag}-${Date.now()}-${Math.random()}`,
    user_id: user,
    project_tree: tree,
    head_path: "test/ratings.sql",
    timeout_ms: 300_000,
    // "continue" lets the engine pipeline the head's plain statements (src/engine/psql/pipeline.ts).
    ...(onError === "continue" ? { on_error: "continue" } : {}),
  });
  const t0 = performance.now();
  const res = await fetch(`${base}/v1/jobs`, { method: "POST", headers, body });
  if (res.status !== 202) throw new Error(`create: ${res.status} ${await res.text()}`);
  const { job_id } = (await res.json()) as { job_id: string };
  let polls = 0;
  for (;;) {
    // Long poll: the answer comes when the job ends (no client-side polling interval). Polling:
    // a plain GET, then POLL_MS of sleep, until the job is terminal.
    if (mode === "poll" && polls > 0) await new Promise((r) => setTimeout(r, POLL_MS));
    polls++;
    const query = mode === "poll" ? "" : "?wait_ms=30000";
    const r = await fetch(`${base}/v1/jobs/${job_id}${query}`, {
      headers: { ...headers, "x-user-id": user },
    });
    if (r.status !== 200) throw new Error(`view: ${r.status} ${await r.text()}`);
    const view = (await r.json()) as View;
    if (view.status === "completed" || view.status === "failed" || view.status === "canceled") {
      const ms = performance.now() - t0;
      if (view.status !== "completed")
        throw new Error(`job ${view.status}: ${view.error?.message}`);
      return { ms, view, polls };
    }
  }
}

if (!existsSync(CORPORA)) throw new Error(`corpora not found at ${CORPORA}`);
const schema = await readFile(join(CORPORA, "pagila/pagila-schema.sql"), "utf8");
const data = await readFile(join(CORPORA, "pagila/pagila-data.sql"), "utf8");
const tree = {
  "init/pagila-schema.sql": schema,
  "seed/pagila-data.sql": data,
  "test/ratings.sql": HEAD,
};

const dataDir = await mkdtemp(join(tmpdir(), "bench-jobs-"));
const persistTo = await mkdtemp(join(tmpdir(), "bench-jobs-wrangler-"));
const stack = await startStack({
  port: 0,
  quiet: true,
  persistTo,
  platform: {
    dataDir,
    token: "bench-jobs-token",
    gcIntervalMs: 0,
    envManager: { pool: POOL },
  },
});
try {
  console.error(`stack up at ${stack.url}`);
  const cold = await runJob(stack.url, tree, "cold");
  console.error(`cold: ${cold.ms.toFixed(0)} ms`, cold.view.metrics.stages_ms);
  // The rows of every set: a hit with on_error "continue" reports the same sets under another mode.
  const rowsOf = (v: View) => JSON.stringify(v.result?.sets.map((set) => set.rows));
  const expected = rowsOf(cold.view);

  // The same tree with the two pagila files sent as etags (the service kept their bytes).
  const etagTree: Record<string, string | { etag: string }> = { ...tree };
  for (const path of ["init/pagila-schema.sql", "seed/pagila-data.sql"] as const) {
    etagTree[path] = { etag: `sha256:${createHash("sha256").update(tree[path]).digest("hex")}` };
  }

  interface Series {
    e2e: number[];
    server: number[];
    stages: Record<string, number[]>;
    polls: number[];
  }
  const series = (): Series => ({ e2e: [], server: [], stages: {}, polls: [] });
  function record(s: Series, run: Awaited<ReturnType<typeof runJob>>, tag: string) {
    if (!run.view.snapshot?.hit) throw new Error("warm job was not a hit");
    if (rowsOf(run.view) !== expected) throw new Error("warm rows differ from cold rows");
    s.e2e.push(run.ms);
    s.polls.push(run.polls);
    if (process.env.BENCH_VERBOSE) {
      console.error(`${tag}: ${run.ms.toFixed(0)} ms`, JSON.stringify(run.view.metrics.stages_ms));
    }
    s.server.push(run.view.metrics.latency_ms ?? Number.NaN);
    for (const [k, v] of Object.entries(run.view.metrics.stages_ms)) {
      const list = s.stages[k] ?? [];
      list.push(v);
      s.stages[k] = list;
    }
  }
  async function warmSeries(t: Record<string, string | { etag: string }>, tag: string) {
    const s = series();
    for (let i = 0; i < WARM_RUNS; i++)
      record(s, await runJob(stack.url, t, `${tag}${i}`), `${tag}${i}`);
    return s;
  }
  // env-manager (and its WebSocket proxy) runs on this process's event loop: whatever blocks it
  // delays every query of every job by as much.
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  const load0 = loadavg();
  const inline = await warmSeries(tree, "warm");
  // Etags, long poll and 5 ms polling in alternation, so both see the same load.
  const byEtag = series();
  const polled = series();
  // ... and the same etag hit with on_error "continue" (its statements pipelined) between them.
  const pipelined = series();
  for (let i = 0; i < WARM_RUNS; i++) {
    record(byEtag, await runJob(stack.url, etagTree, `etag${i}`), `etag${i}`);
    record(polled, await runJob(stack.url, etagTree, `poll${i}`, "poll"), `poll${i}`);
    const cont = await runJob(stack.url, etagTree, `cont${i}`, "long-poll", "continue");
    record(pipelined, cont, `cont${i}`);
  }
  loopDelay.disable();
  // Many at once: CONCURRENT warm hits started together (etags, long poll); the pool's takes.
  const pool = stack.platform.envManager.manager.pool;
  await pool.settled();
  const before = pool.stats();
  const concurrentT0 = performance.now();
  const settledRuns = await Promise.allSettled(
    Array.from({ length: CONCURRENT }, (_, i) => runJob(stack.url, etagTree, `many${i}`)),
  );
  const concurrentWall = performance.now() - concurrentT0;
  const after = pool.stats();
  const many = series();
  const failures: string[] = [];
  for (const [i, r] of settledRuns.entries()) {
    if (r.status === "rejected") failures.push(String(r.reason));
    else {
      try {
        record(many, r.value, `many${i}`);
      } catch (err) {
        failures.push(String(err));
      }
    }
  }
  const load1 = loadavg();
  const warm = inline.e2e;
  const server = inline.server;
  const stages = inline.stages;

  // Baseline: a fresh database on an instance of the same platform, psql -f over its unix socket.
  const em = createEnvManagerClient({
    baseUrl: stack.platform.envManager.url,
    token: stack.platform.token,
  });
  const health = await em.health();
  const inst = await em.create({ from: { base: { engine: health.engine } }, ttl_ms: 3_600_000 });
  const socketDir = stack.platform.envManager.manager.get(inst.instance_id).instance.socketDir;
  const pgEnv = {
    ...process.env,
    PGHOST: socketDir,
    PGPORT: "5432",
    PGUSER: inst.connection.user,
    PGPASSWORD: inst.connection.password,
    PGDATABASE: inst.connection.database,
  };
  const headFile = join(dataDir, "head.sql");
  await import("node:fs/promises").then((fs) => fs.writeFile(headFile, HEAD));
  const baseline: number[] = [];
  for (let i = 0; i < BASELINE_RUNS; i++) {
    const db = `bench_jobs_${i}`;
    const t0 = performance.now();
    await psql(pgEnv, ["-c", `CREATE DATABASE ${db}`]);
    await psql({ ...pgEnv, PGDATABASE: db }, [
      "-f",
      join(CORPORA, "pagila/pagila-schema.sql"),
      "-f",
      join(CORPORA, "pagila/pagila-data.sql"),
    ]);
    // The data file empties search_path for its session (pg_dump does): the head gets its own,
    // as each step of a job does.
    await psql({ ...pgEnv, PGDATABASE: db }, ["-f", headFile]);
    baseline.push(performance.now() - t0);
    await psql(pgEnv, ["-c", `DROP DATABASE ${db}`]);
  }
  await em.destroy(inst.instance_id);

  const base = quantile(baseline, 0.5);
  const fmt = (n: number) => n.toFixed(0);
  console.log(
    `pagila tail (schema 52 KB + COPY data 3.3 MB, 2 steps), head: 2 SELECTs; one run.\n`,
  );
  const la = (l: number[]) => l.map((x) => x.toFixed(1)).join(" ");
  console.log(
    `load average (1/5/15 min) at the warm series' start ${la(load0)}, end ${la(load1)}\n`,
  );
  console.log("| measurement | runs | p50 ms | p90 ms | p95 ms | vs baseline |");
  console.log("|---|---:|---:|---:|---:|---:|");
  const row = (label: string, xs: number[], ratio = true) =>
    console.log(
      `| ${label} | ${xs.length} | ${fmt(quantile(xs, 0.5))} | ${fmt(quantile(xs, 0.9))} | ${fmt(quantile(xs, 0.95))} | ${ratio ? `${(quantile(xs, 0.5) / base).toFixed(3)}x` : ""} |`,
    );
  console.log(
    `| cold job (replay 2 steps, publish 2 layers, head) | 1 | ${fmt(cold.ms)} | | | ${(cold.ms / base).toFixed(2)}x |`,
  );
  row("warm hit, whole tree inline, long poll (end to end)", warm);
  row("warm hit, tail as etags, long poll (end to end)", byEtag.e2e);
  row(`warm hit, tail as etags, polling every ${POLL_MS} ms (end to end)`, polled.e2e);
  row('warm hit, etags, long poll, on_error "continue" (pipelined head)', pipelined.e2e);
  row("warm hit (inline), server latency_ms", server, false);
  row("warm hit (etags, long poll), server latency_ms", byEtag.server, false);
  row(`warm hit (etags, ${POLL_MS} ms polling), server latency_ms`, polled.server, false);
  row(`${CONCURRENT} concurrent warm hits (etags, long poll), end to end`, many.e2e);
  row(`${CONCURRENT} concurrent warm hits, server latency_ms`, many.server, false);
  console.log(
    `| baseline: fresh database + psql -f schema, data, head | ${baseline.length} | ${fmt(base)} | | | 1x |`,
  );
  console.log(
    `\npolling / long poll, p50 end to end: ${(quantile(polled.e2e, 0.5) / quantile(byEtag.e2e, 0.5)).toFixed(2)}x; polls per polled job p50 ${quantile(polled.polls, 0.5)}`,
  );
  console.log(
    `${CONCURRENT} concurrent: ${failures.length} failed, p99 ${fmt(quantile(many.e2e, 0.99))} ms, all done in ${fmt(concurrentWall)} ms; pool takes during it: ${after.hits - before.hits} hits, ${after.misses - before.misses} misses (${(((after.hits - before.hits) / Math.max(1, after.hits + after.misses - before.hits - before.misses)) * 100).toFixed(0)}% hit rate), ${after.boots - before.boots} boots`,
  );
  for (const f of failures.slice(0, 5)) console.log(`  failure: ${f}`);
  const ms = (p: number) => (loopDelay.percentile(p) / 1e6).toFixed(1);
  console.log(
    `event-loop delay of the platform process (env-manager's proxy) during the warm series, ms: p50 ${ms(50)}, p90 ${ms(90)}, p99 ${ms(99)}, max ${(loopDelay.max / 1e6).toFixed(1)}`,
  );
  const total = pool.stats();
  console.log(`pool since start: ${total.hits} hits, ${total.misses} misses, ${total.boots} boots`);
  console.log("\nwarm-hit stage medians (ms):");
  console.log(
    Object.entries(stages)
      .map(([k, v]) => `${k} ${quantile(v, 0.5).toFixed(1)}`)
      .join(", "),
  );
  console.log(`cold stages (ms): ${JSON.stringify(cold.view.metrics.stages_ms)}`);
  const medians = (st: Record<string, number[]>) =>
    Object.entries(st)
      .map(([k, v]) => `${k} ${quantile(v, 0.5).toFixed(1)}`)
      .join(", ");
  console.log(`etag (long poll) stage medians: ${medians(byEtag.stages)}`);
  console.log(`etag (${POLL_MS} ms polling) stage medians: ${medians(polled.stages)}`);
  console.log(`etag, on_error "continue" stage medians: ${medians(pipelined.stages)}`);
  console.log(`${CONCURRENT} concurrent stage medians: ${medians(many.stages)}`);
} finally {
  await stack.close();
  await rm(dataDir, { recursive: true, force: true });
  await rm(persistTo, { recursive: true, force: true });
}
