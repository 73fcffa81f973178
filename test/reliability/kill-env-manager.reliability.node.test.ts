// kill -9 of env-manager mid-job (issue 9: "platform failures are blamed on the user"; "0 lost, 0
// stuck, 0 duplicated"). env-manager runs as its own process (env-manager-process.ts), so a
// SIGKILL takes it down as a crashed host would: every job's session through its proxy drops and
// the instances are gone. It comes back on the same port and data directory (it stops what the
// dead process left running, work-dir.ts). Every job must then end completed with the seed's rows
// exactly once, or failed with a platform code: never tail_error / head_error, the user's codes.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { snapshotWorker } from "../../bench/live/stack.ts";
import { startOperators } from "../../infra/local-dev/operators.ts";
import type { PlatformHandle } from "../../infra/local-dev/platform.ts";
import { startSnapshotCache } from "../../infra/local-dev/snapshot-cache/server.ts";
import { freePort, type StackHandle, startStack } from "../../infra/local-dev/stack.ts";
import {
  type EnvManagerProcess,
  handedOut,
  startEnvManagerProcess,
} from "./env-manager-process.ts";
import { type JobViewLite, waitEnded } from "./stack.ts";
import { logKill, startTailJobs, tally } from "./tail-kill.ts";

const JOBS = 3;
const TOKEN = "reliability-kill-env-manager";
const PLATFORM_CODES = ["instance_lost", "env_unavailable"];

let dirs: string[] = [];
let envPort = 0;
let env: EnvManagerProcess;
let worker: StackHandle;
let closeRest: () => Promise<void>;

beforeAll(async () => {
  const dataDir = await mkdtemp(join(tmpdir(), "sql-runner-reliab-envkill-"));
  const persistDir = await mkdtemp(join(tmpdir(), "sql-runner-reliab-envkill-wr-"));
  const workerDir = await snapshotWorker();
  dirs = [dataDir, persistDir, workerDir];
  envPort = await freePort();
  env = await startEnvManagerProcess({ port: envPort, dataDir, token: TOKEN });
  const operators = await startOperators({ dataDir, token: TOKEN });
  const snapshotCache = await startSnapshotCache({
    port: 0,
    dataDir,
    token: TOKEN,
    envManagerUrl: env.url,
    gcIntervalMs: 0,
  });
  closeRest = async () => {
    await snapshotCache.close();
    await operators.close();
  };
  // The Worker needs only the services' URLs and the token; env-manager is the child process.
  const shared = {
    envManager: { url: env.url, port: envPort },
    snapshotCache,
    operators,
    token: TOKEN,
    dataDir,
  } as unknown as PlatformHandle;
  worker = await startStack({
    port: 0,
    shared,
    persistTo: persistDir,
    cwd: workerDir,
    quiet: true,
  });
});

afterAll(async () => {
  await worker?.close();
  await env?.stop();
  await closeRest?.();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe("kill -9 of env-manager mid-job", () => {
  it(`${JOBS} jobs: 0 lost, 0 stuck, 0 duplicated, none blamed on the user`, async () => {
    const jobs = await startTailJobs(worker.url, JOBS, (i) => ({
      user: `envkill-${i}-${Date.now()}`,
      table: `ek_${i}`,
    }));
    // Wait until every job holds an instance (its tail is under way), bounded.
    for (let i = 0; (await handedOut(env.url, TOKEN)) < JOBS; i++) {
      if (i > 2400) throw new Error("the jobs never all held an instance");
      await new Promise((r) => setTimeout(r, 50));
    }
    await env.kill();
    // Down for a while (longer than the client's own few retries), then back on the same port.
    await new Promise((r) => setTimeout(r, 5000));
    env = await startEnvManagerProcess({ port: envPort, dataDir: dirs[0] ?? "", token: TOKEN });

    const views: JobViewLite[] = [];
    for (const j of jobs) views.push(await waitEnded(worker.url, j.jobId, j.user, 400_000));
    // What is not the platform's here is the user's code (tail_error, head_error): blamed on them.
    const { other: blamed_user, ...rest } = tally(views, PLATFORM_CODES);
    const counts = { ...rest, blamed_user };
    logKill("env-manager", JOBS, counts, views);
    expect(counts).toMatchObject({ stuck: 0, duplicated: 0, blamed_user: 0 });
    expect(counts.completed + counts.failed_platform).toBe(JOBS);
    // The job waits for env-manager to come back and boots again: these jobs complete.
    expect(views.map((v) => v.status)).toEqual(Array(JOBS).fill("completed"));
  });
});
