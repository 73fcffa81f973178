// `npm run bench:telemetry`: what the operators' telemetry costs a warm hit. One platform, two
// `wrangler dev` Workers on it: one exporting metrics and traces (TELEMETRY_URL = the exporter),
// one with telemetry off (TELEMETRY_URL ""); both audit through their queue. Warm-hit jobs go to
// the two in alternation, so both see the same machine load; prints a markdown row per Worker and
// the ratio of their p50s. BENCH_EXPORTER picks where the "on" Worker exports (export-target.ts).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startPlatform } from "../../infra/local-dev/platform.ts";
import { startStack } from "../../infra/local-dev/stack.ts";
import { exportTarget } from "./export-target.ts";

const RUNS = Number(process.env.BENCH_WARM_RUNS ?? 30);
// Back-to-back hits drain the warm pool every few jobs and then boot a layer (+200-600 ms), so
// which Worker met an empty pool decided the p50 more than telemetry did. A pause after each job
// lets the pool refill: every job measures the same path, a pooled instance.
const PAUSE_MS = Number(process.env.BENCH_PAUSE_MS ?? 500);
const TOKEN = "dev-gateway-token";
const TREE = {
  "init/01_schema.sql": "CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL);",
  "seed/01_rows.sql": "INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 1000) g;",
  "test/head.sql": "SELECT count(*) AS n, max(name) AS last FROM items;",
};

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (s[lo] ?? 0) + ((s[hi] ?? 0) - (s[lo] ?? 0)) * (pos - lo);
}

/**
 * The 2.5% and 97.5% quantiles of p50(on) - p50(off) over resamples of both groups: how far apart
 * the two p50s could be by chance at this run's noise. A target of "<= 2 ms" is shown only when
 * the interval itself stays below 2 ms.
 */
function bootstrapP50Difference(on: number[], off: number[], rounds = 2000): [number, number] {
  const pick = (xs: number[]) => xs.map(() => xs[Math.floor(Math.random() * xs.length)] ?? 0);
  const diffs: number[] = [];
  for (let i = 0; i < rounds; i++) diffs.push(quantile(pick(on), 0.5) - quantile(pick(off), 0.5));
  return [quantile(diffs, 0.025), quantile(diffs, 0.975)];
}

interface View {
  status: string;
  snapshot: { hit: boolean } | null;
  metrics: { latency_ms: number | null };
}

async function runJob(
  base: string,
  tag: string,
): Promise<{ ms: number; create: number; server: number; hit: boolean }> {
  const user = "bench-user";
  const headers = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
  const body = JSON.stringify({
    request_id: `bench-${tag}-${Date.now()}-${Math.random()}`,
    user_id: user,
    project_tree: TREE,
    head_path: "test/head.sql",
  });
  const t0 = performance.now();
  const res = await fetch(`${base}/v1/jobs`, { method: "POST", headers, body });
  if (res.status !== 202) throw new Error(`create: ${res.status} ${await res.text()}`);
  const { job_id } = (await res.json()) as { job_id: string };
  const create = performance.now() - t0;
  for (;;) {
    const r = await fetch(`${base}/v1/jobs/${job_id}?wait_ms=30000`, {
      headers: { ...headers, "x-user-id": user },
    });
    const view = (await r.json()) as View;
    if (view.status === "completed" || view.status === "failed" || view.status === "canceled") {
      if (view.status !== "completed") throw new Error(`job ${view.status}`);
      return {
        ms: performance.now() - t0,
        create,
        server: view.metrics.latency_ms ?? Number.NaN,
        hit: !!view.snapshot?.hit,
      };
    }
  }
}

const dataDir = await mkdtemp(join(tmpdir(), "bench-telemetry-"));
const platform = await startPlatform({
  dataDir,
  token: "bench-telemetry-token",
  gcIntervalMs: 0,
  envManager: {
    pool: { perSource: 2, maxPerSource: 4, recentSources: 4, maxTotal: 6, refillDelayMs: 0 },
  },
});
const target = await exportTarget();
const dirs: string[] = [];
const workers: Record<"on" | "off", Awaited<ReturnType<typeof startStack>> | null> = {
  on: null,
  off: null,
};
try {
  for (const mode of ["on", "off"] as const) {
    const persistTo = await mkdtemp(join(tmpdir(), `bench-telemetry-${mode}-`));
    dirs.push(persistTo);
    workers[mode] = await startStack({
      port: 0,
      quiet: true,
      persistTo,
      shared: platform,
      telemetry: mode === "on",
      ...(target.url ? { telemetryUrl: target.url } : {}),
    });
  }
  const on = workers.on;
  const off = workers.off;
  if (!on || !off) throw new Error("workers did not start");
  // The first job replays the tail and publishes its layer; both Workers hit it afterwards.
  await runJob(on.url, "cold");
  await runJob(off.url, "warmup");
  const e2e = { on: [] as number[], off: [] as number[] };
  const server = { on: [] as number[], off: [] as number[] };
  const create = { on: [] as number[], off: [] as number[] };
  for (let i = 0; i < RUNS; i++) {
    for (const mode of i % 2 === 0 ? (["on", "off"] as const) : (["off", "on"] as const)) {
      const w = mode === "on" ? on : off;
      const run = await runJob(w.url, `${mode}${i}`);
      if (!run.hit) throw new Error("warm job was not a hit");
      e2e[mode].push(run.ms);
      await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
      server[mode].push(run.server);
      create[mode].push(run.create);
    }
  }
  const load = (await import("node:os"))
    .loadavg()
    .map((n) => n.toFixed(1))
    .join(" ");
  const fmt = (n: number) => n.toFixed(1);
  console.log(
    `warm-hit jobs (3-step tail, 1 SELECT head), ${RUNS} per Worker, alternating, ${PAUSE_MS} ms pause after each; exporter ${target.mode}; load average ${load}\n`,
  );
  // latency_ms is the job's own created -> finished time; the 202 column is the create round trip.
  console.log(
    "| telemetry | runs | p50 ms end to end | p90 ms | p50 server latency_ms | p50 ms to the 202 |",
  );
  console.log("|---|---:|---:|---:|---:|---:|");
  for (const mode of ["on", "off"] as const) {
    console.log(
      `| ${mode} | ${RUNS} | ${fmt(quantile(e2e[mode], 0.5))} | ${fmt(quantile(e2e[mode], 0.9))} | ${fmt(quantile(server[mode], 0.5))} | ${fmt(quantile(create[mode], 0.5))} |`,
    );
  }
  const d = quantile(e2e.on, 0.5) - quantile(e2e.off, 0.5);
  console.log(
    `\np50 difference (on - off): ${fmt(d)} ms; ratio ${(quantile(e2e.on, 0.5) / quantile(e2e.off, 0.5)).toFixed(3)}x`,
  );
  // Jobs i of "on" and "off" ran next to each other, so their difference cancels most of the
  // machine's drift; its median is the steadier estimate of what telemetry costs a job.
  const paired = e2e.on.map((ms, i) => ms - (e2e.off[i] ?? Number.NaN));
  const pairedServer = server.on.map((ms, i) => ms - (server.off[i] ?? Number.NaN));
  console.log(
    `median paired difference (on_i - off_i): end to end ${fmt(quantile(paired, 0.5))} ms, server latency_ms ${fmt(quantile(pairedServer, 0.5))} ms`,
  );
  const [lo, hi] = bootstrapP50Difference(e2e.on, e2e.off);
  console.log(
    `95% bootstrap interval of the p50 difference (on - off), end to end: ${fmt(lo)} to ${fmt(hi)} ms`,
  );
} finally {
  await workers.on?.close();
  await workers.off?.close();
  target.close();
  await platform.close();
  await rm(dataDir, { recursive: true, force: true });
  for (const d of dirs) await rm(d, { recursive: true, force: true });
}
