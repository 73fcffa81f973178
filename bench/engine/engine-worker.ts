// Runs the script engine for bench/engine/run.ts in its own thread, so the engine's event loop is
// not shared with the in-process platform (the WebSocket proxy), as in production where the Worker
// and the proxy are separate. Replies with the wall time of loading the files in order.
import { readFile } from "node:fs/promises";
import { parentPort } from "node:worker_threads";
import type { PgConnection } from "../../src/clients/contracts/pg-connection.ts";
import { connectPg } from "../../src/clients/pg.ts";
import { runScript } from "../../src/engine/runner.ts";
import { seedFromHash } from "../../src/engine/session.ts";
import { DEFAULT_SESSION_SETTINGS } from "../../src/planner/settings.ts";

export interface EngineJob {
  conn: PgConnection;
  database: string;
  /** Project path -> absolute file path, run in this order as separate steps. */
  files: [string, string][];
}

export interface EngineTiming {
  ms: number;
  statements: number;
  roundTrips: number;
}

const texts = new Map<string, string>();

parentPort?.on("message", async (job: EngineJob) => {
  for (const [, abs] of job.files) if (!texts.has(abs)) texts.set(abs, await readFile(abs, "utf8"));
  let statements = 0;
  let roundTrips = 0;
  const t0 = performance.now();
  for (const [path, abs] of job.files) {
    const res = await runScript({
      files: new Map([[path, texts.get(abs)!]]),
      entry: path,
      settings: { ...DEFAULT_SESSION_SETTINGS },
      seed: seedFromHash("0123abcd"),
      connect: (d) => connectPg(job.conn, d ?? job.database),
    });
    statements += res.stats.statements;
    roundTrips += res.stats.round_trips;
  }
  const timing: EngineTiming = { ms: performance.now() - t0, statements, roundTrips };
  parentPort?.postMessage(timing);
});
