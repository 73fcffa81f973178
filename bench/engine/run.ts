// `npm run bench:engine`: loads pagila (schema + COPY data), northwind and chinook into a fresh
// database of one local PostgreSQL instance, through the script engine (neon driver over the
// platform's WebSocket proxy, as the Worker does) and with `psql -f` (/usr/bin/psql on the
// instance's unix socket), alternating, several runs each. Prints medians and the engine/psql ratio (target <= 1.2).
// The engine runs in a worker thread (engine-worker.ts) so it does not share an event loop with the
// in-process proxy.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { startPlatform } from "../../infra/local-dev/platform.ts";
import { createEnvManagerClient } from "../../src/clients/env-manager.ts";
import { PSQL, psql } from "../shared/psql.ts";
import type { EngineJob, EngineTiming } from "./engine-worker.ts";

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const CORPORA = process.env.SQL_RUNNER_CORPORA ?? resolve(ROOT, "../shared/corpora");

const CORPORA_SETS: Record<string, string[]> = {
  "pagila (schema + COPY data)": ["pagila/pagila-schema.sql", "pagila/pagila-data.sql"],
  northwind: ["northwind/northwind.sql"],
  // Drops and creates its own database and switches to it with \c (the run's database is unused).
  chinook: ["chinook/Chinook_PostgreSql.sql"],
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

if (!existsSync(CORPORA)) throw new Error(`corpora not found at ${CORPORA}`);
const worker = new Worker(new URL("./engine-worker.ts", import.meta.url));
let pending: { ok: (t: EngineTiming) => void; fail: (e: unknown) => void } | undefined;
worker.on("message", (t: EngineTiming) => pending?.ok(t));
worker.on("error", (e) => pending?.fail(e));
const runEngine = (job: EngineJob) =>
  new Promise<EngineTiming>((ok, fail) => {
    pending = { ok, fail };
    worker.postMessage(job);
  });

const dataDir = await mkdtemp(join(tmpdir(), "bench-engine-"));
const token = "bench-engine-token";
const platform = await startPlatform({ dataDir, token, gcIntervalMs: 0 });
try {
  const em = createEnvManagerClient({ baseUrl: platform.envManager.url, token });
  const health = await em.health();
  const created = await em.create({ from: { base: { engine: health.engine } }, ttl_ms: 3_600_000 });
  const conn = created.connection;
  const socketDir = platform.envManager.manager.get(created.instance_id).instance.socketDir;
  const pgEnv = {
    ...process.env,
    PGHOST: socketDir,
    PGPORT: "5432",
    PGUSER: conn.user,
    PGPASSWORD: conn.password,
    PGDATABASE: conn.database,
  };
  const server = (await new Promise<string>((ok) => {
    const p = spawn(PSQL, ["-X", "-At", "-c", "SHOW server_version"], { env: pgEnv });
    let out = "";
    p.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    p.on("exit", () => ok(out.trim()));
  })) as string;

  const rows: string[] = [];
  let n = 0;
  for (const [label, files] of Object.entries(CORPORA_SETS)) {
    const engineMs: number[] = [];
    const psqlMs: number[] = [];
    let statements = 0;
    let roundTrips = 0;
    for (let run = 0; run < RUNS; run++) {
      // Alternate which goes first so neither always gets the warmer cache.
      const order = run % 2 === 0 ? ["engine", "psql"] : ["psql", "engine"];
      for (const who of order) {
        const db = `bench_${n++}`;
        await psql(pgEnv, ["-c", `CREATE DATABASE ${db}`]);
        const t0 = performance.now();
        if (who === "psql") {
          await psql(
            { ...pgEnv, PGDATABASE: db },
            files.flatMap((f) => ["-f", join(CORPORA, f)]),
          );
          psqlMs.push(performance.now() - t0);
        } else {
          const t = await runEngine({
            conn,
            database: db,
            files: files.map((f) => [f, join(CORPORA, f)]),
          });
          statements = t.statements;
          roundTrips = t.roundTrips;
          engineMs.push(t.ms);
        }
        await psql(pgEnv, ["-c", `DROP DATABASE ${db}`]);
      }
    }
    const e = median(engineMs);
    const p = median(psqlMs);
    rows.push(
      `| ${label} | ${statements} | ${roundTrips} | ${e.toFixed(0)} | ${p.toFixed(0)} | ${(e / p).toFixed(2)} |`,
    );
    console.error(
      `${label}: engine ${engineMs.map((x) => x.toFixed(0))} psql ${psqlMs.map((x) => x.toFixed(0))}`,
    );
  }
  console.log(`PostgreSQL ${server}, ${RUNS} runs each, medians, fresh database per run.\n`);
  console.log(
    "| corpus | statements | engine round trips | engine ms | psql -f ms | engine / psql |",
  );
  console.log("|---|---:|---:|---:|---:|---:|");
  for (const r of rows) console.log(r);
  await em.destroy(created.instance_id);
} finally {
  await worker.terminate();
  await platform.close();
  await rm(dataDir, { recursive: true, force: true });
}
