// `npm run bench:engines`: cold load time of the acceptance corpora on every engine the platform
// offers (PostgreSQL 14 to 18). Each run boots a fresh instance of each engine from its base image
// (no warm pool), then loads pagila (schema + COPY data), northwind and chinook through the script
// engine (neon driver over the WebSocket proxy, in a worker thread as bench/engine does). The engine
// order rotates per run; medians are reported with the ratio to PostgreSQL 18 from the same run.
//   BENCH_RUNS (default 3), SQL_RUNNER_CORPORA (default ../shared/corpora)
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { startPlatform } from "../../infra/local-dev/platform.ts";
import { createEnvManagerClient } from "../../src/clients/env-manager.ts";
import type { EngineJob, EngineTiming } from "../engine/engine-worker.ts";

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const CORPORA = process.env.SQL_RUNNER_CORPORA ?? resolve(ROOT, "../shared/corpora");

const SETS: Record<string, string[]> = {
  pagila: ["pagila/pagila-schema.sql", "pagila/pagila-data.sql"],
  northwind: ["northwind/northwind.sql"],
  chinook: ["chinook/Chinook_PostgreSql.sql"],
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

if (!existsSync(CORPORA)) throw new Error(`corpora not found at ${CORPORA}`);
const worker = new Worker(new URL("../engine/engine-worker.ts", import.meta.url));
let pending: { ok: (t: EngineTiming) => void; fail: (e: unknown) => void } | undefined;
worker.on("message", (t: EngineTiming) => pending?.ok(t));
worker.on("error", (e) => pending?.fail(e));
const runEngine = (job: EngineJob) =>
  new Promise<EngineTiming>((ok, fail) => {
    pending = { ok, fail };
    worker.postMessage(job);
  });

const dataDir = await mkdtemp(join(tmpdir(), "bench-engines-"));
const token = "bench-engines-token";
const load = loadavg().map((x) => x.toFixed(1));
const platform = await startPlatform({
  dataDir,
  token,
  gcIntervalMs: 0,
  envManager: { pool: { perSource: 0, recentSources: 0, maxTotal: 0, prewarmBase: false } },
});
try {
  const em = createEnvManagerClient({ baseUrl: platform.envManager.url, token });
  const engines = (await em.health()).engines;
  /** engine -> set (or "boot") -> ms per run */
  const times = new Map<string, Map<string, number[]>>();
  const record = (engine: string, what: string, ms: number) => {
    const m = times.get(engine) ?? new Map<string, number[]>();
    times.set(engine, m);
    m.set(what, [...(m.get(what) ?? []), ms]);
  };
  // Base images are made once per engine: not part of a cold load.
  for (const e of engines) {
    const warm = await em.create({ from: { base: { engine: e.engine } }, ttl_ms: 600_000 });
    await em.destroy(warm.instance_id);
  }
  for (let run = 0; run < RUNS; run++) {
    const order = engines.map((_, i) => engines[(i + run) % engines.length]!);
    for (const e of order) {
      const created = await em.create({ from: { base: { engine: e.engine } }, ttl_ms: 600_000 });
      record(e.engine, "boot", created.boot.ms);
      let total = created.boot.ms;
      for (const [label, files] of Object.entries(SETS)) {
        const t = await runEngine({
          conn: created.connection,
          database: created.connection.database,
          files: files.map((f) => [f, join(CORPORA, f)]),
        });
        record(e.engine, label, t.ms);
        total += t.ms;
      }
      record(e.engine, "total", total);
      await em.destroy(created.instance_id);
      console.error(`run ${run + 1}: ${e.engine} ${total.toFixed(0)} ms`);
    }
  }
  const cols = ["boot", ...Object.keys(SETS), "total"];
  const base = engines.find((e) => e.default)?.engine ?? "";
  const med = (engine: string, what: string) => median(times.get(engine)?.get(what) ?? []);
  console.log(
    `${RUNS} runs, medians in ms, fresh instance per engine per run; load average ${load.join(" ")} at start, ${loadavg()
      .map((x) => x.toFixed(1))
      .join(" ")} at end.\n`,
  );
  console.log(`| engine | ${cols.join(" | ")} | total / ${base} |`);
  console.log(`|---|${cols.map(() => "---:").join("|")}|---:|`);
  for (const e of engines) {
    const cells = cols.map((c) => med(e.engine, c).toFixed(0));
    const ratio = med(e.engine, "total") / med(base, "total");
    console.log(`| ${e.engine} | ${cells.join(" | ")} | ${ratio.toFixed(2)} |`);
  }
} finally {
  await worker.terminate();
  await platform.close();
  await rm(dataDir, { recursive: true, force: true });
}
