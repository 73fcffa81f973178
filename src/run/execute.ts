// The alarm shell around the snapshot flow: counts attempts (an evicted run resumes, a run that
// keeps dying fails visibly), arms the timeout watchdog outside PostgreSQL, makes the run
// (job-run.ts) and ends it through its exits, and drops the instance on every way out.

import type { InstanceQuota } from "../clients/contracts/env-manager.ts";
import { finishJob } from "../jobs/finish.ts";
import type { JobStore } from "../jobs/job-store.ts";
import type { Emit } from "../jobs/model.ts";
import { isTerminal } from "../jobs/state-machine.ts";
import { leasedContent } from "../lifecycle/content-lease.ts";
import { resultMaxBytes } from "../limits/limits.ts";
import type { Plan } from "../planner/plan.ts";
import { runEnded, runStarted } from "../telemetry/job-telemetry.ts";
import type { TenantLedger } from "../tenant/reuse-report.ts";
import { AbortedError, describeFailure } from "./failure.ts";
import { runFlow } from "./flow.ts";
import { JobRun, MAX_ATTEMPTS, type PrefetchedLookup, type TailLease } from "./job-run.ts";
import { type PlatformOverrides, platformFor, releaseInstance, sleep } from "./platform.ts";

export interface CachedPlan {
  runDigest: string;
  plan: Plan;
  /** The chain lookup started with the plan (see prefetchLookup); used by the first alarm only. */
  lookup: PrefetchedLookup | null;
}

export interface ExecHost {
  env: Env;
  ctx: DurableObjectState;
  store: JobStore;
  emit: Emit;
  overrides: PlatformOverrides;
  /** Wall time one alarm may spend replaying before it continues in the next alarm. */
  budgetMs: number;
  /** The plan made at create/run in this instance, if any (checked against the run digest). */
  cachedPlan: CachedPlan | null;
  /** The single-flight lease of a tail hash. */
  tailLease(tailHash: string): TailLease;
  /**
   * When the job asked to run (it waited in the admission queue since): `timeout_ms` counts from
   * here, so the wait and the run together stay within it. Default: the run's start.
   */
  since?: number;
  /** The ledger of a user's own tail prefixes (a TenantObject), for the reuse report. */
  tenantLedger?(userId: string): TenantLedger;
  /** The quota of the job's instances, from the user's plan (`max_data_bytes`), if it has one. */
  instanceQuota?: InstanceQuota | undefined;
  /** Records (or clears) the run in progress, so cancel can abort it. */
  setActive(run: JobRun | null): void;
}

/**
 * While a run is alive it keeps pushing its alarm HEARTBEAT_MS ahead; if the object is evicted
 * mid-run, that alarm fires soon after and resumes the job (or fails it past its deadline).
 */
export const HEARTBEAT_MS = 4000;
/** How long a timed-out job waits for its instance to be dropped before it is reported. */
const RELEASE_WAIT_MS = 2000;

export async function executeJob(host: ExecHost): Promise<void> {
  const { store, emit } = host;
  const job = store.job();
  if (!job || isTerminal(job.status) || !job.run_requested) return;
  const alarmStart = Date.now();
  const startedAt = job.started_at ?? alarmStart;
  const attempt = job.attempts + 1;
  store.update({ attempts: attempt, started_at: startedAt });
  const platform = platformFor(host.env, host.overrides);
  if (job.instance_id) {
    emit("log", { level: "warning", message: "resuming an interrupted run" });
    await releaseInstance(platform, job.instance_id);
    store.update({ instance_id: null });
  }
  if (attempt > MAX_ATTEMPTS) {
    finishJob(store, emit, "failed", {
      code: "internal",
      message: `the run was interrupted ${MAX_ATTEMPTS} times`,
    });
    return;
  }
  const deadline = Math.min(host.since ?? startedAt, startedAt) + job.timeout_ms;
  if (alarmStart >= deadline) {
    finishJob(store, emit, "failed", describeFailure(new AbortedError("timeout"), job.timeout_ms));
    return;
  }
  // If this instance is evicted mid-run, this alarm brings the job back (resume or fail).
  const storage = host.ctx.storage;
  await storage.setAlarm(Date.now() + HEARTBEAT_MS);
  const heartbeat = setInterval(() => {
    void storage.setAlarm(Date.now() + HEARTBEAT_MS).catch(() => {});
  }, HEARTBEAT_MS / 2);

  const cached = host.cachedPlan?.runDigest === job.run_digest ? host.cachedPlan : null;
  const run = new JobRun({
    job,
    store,
    emit,
    platform,
    tailLease: host.tailLease,
    content: leasedContent(host.env, job.expires_at, job.user_id),
    attempt,
    deadline,
    alarmStart,
    budgetMs: host.budgetMs,
    envManagerUrl: host.overrides.envManagerUrl ?? host.env.ENV_MANAGER_URL,
    resultMaxBytes: host.overrides.resultMaxBytes ?? resultMaxBytes(host.env.RESULT_MAX_BYTES),
    instanceQuota: host.instanceQuota,
    tenant: host.tenantLedger?.(job.user_id) ?? null,
    plan: cached?.plan ?? null,
    prefetched: cached?.lookup ?? null,
  });
  runStarted();
  const signal = run.signal;
  host.setActive(run);
  // The watchdog lives outside PostgreSQL: the user's `SET statement_timeout = 0` cannot stop it.
  // A timed-out job ends at once (not when the flow unwinds from whatever it waited for), and
  // only once its instance is gone (waiting at most RELEASE_WAIT_MS for env-manager).
  let released: Promise<unknown> = Promise.resolve();
  signal.addEventListener("abort", () => {
    const release = run.instanceId ? releaseInstance(platform, run.instanceId) : Promise.resolve();
    released = Promise.race([release, sleep(RELEASE_WAIT_MS)]);
    if (signal.reason !== "timeout") return;
    void released.then(() => {
      const error = describeFailure(new AbortedError("timeout"), job.timeout_ms);
      finishJob(store, emit, "failed", error);
    });
  });
  const timer = setTimeout(() => run.abort("timeout"), deadline - alarmStart);
  try {
    run.ended(await runFlow(run));
  } catch (err) {
    await released;
    await run.fail(err);
  } finally {
    clearTimeout(timer);
    clearInterval(heartbeat);
    runEnded();
    host.setActive(null);
    if (run.instanceId) {
      const finished = store.job()?.status === "completed";
      await releaseInstance(platform, run.instanceId, !finished);
      store.update({ instance_id: null });
    }
  }
}

/** Drops the job's instance (cancel, GC); safe to call when there is none. */
export async function cleanupInstance(env: Env, store: JobStore): Promise<void> {
  const id = store.job()?.instance_id;
  if (!id) return;
  await releaseInstance(platformFor(env), id);
  store.update({ instance_id: null });
}
