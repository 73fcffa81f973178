// The alarm shell around the snapshot flow: counts attempts (an evicted run resumes, a run that
// keeps dying fails visibly), arms the timeout watchdog outside PostgreSQL, drops the instance on
// every way out, and turns what went wrong into the job's error with its side named.

import { AppError } from "../errors.ts";
import { finishJob } from "../jobs/finish.ts";
import type { JobStore } from "../jobs/job-store.ts";
import type { Emit, JobError } from "../jobs/model.ts";
import { isTerminal } from "../jobs/state-machine.ts";
import { leasedContent } from "../lifecycle/content-lease.ts";
import { attributeFailure, scrubError } from "../limits/attribution.ts";
import type { Plan } from "../planner/plan.ts";
import { runEnded, runStarted } from "../telemetry/job-telemetry.ts";
import { describeInternal, logLine, newErrorId } from "../telemetry/log.ts";
import { AbortedError, runFlow, StepFailure } from "./flow.ts";
import type { TailLease } from "./flow-context.ts";
import { type PlatformOverrides, platformFor, releaseInstance, sleep } from "./platform.ts";
import type { prefetchLookup } from "./tail-lookup.ts";

export interface ActiveRun {
  controller: AbortController;
  instanceId: string | null;
}

export interface CachedPlan {
  runDigest: string;
  plan: Plan;
  /** The chain lookup started with the plan (see prefetchLookup); used by the first alarm only. */
  lookup: ReturnType<typeof prefetchLookup> | null;
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
  /** Records (or clears) the run in progress, so cancel can abort it. */
  setActive(run: ActiveRun | null): void;
}

/** Interrupted runs (eviction, crash) resumed before the job fails with `internal`. */
export const MAX_ATTEMPTS = 3;
/**
 * While a run is alive it keeps pushing its alarm HEARTBEAT_MS ahead; if the object is evicted
 * mid-run, that alarm fires soon after and resumes the job (or fails it past its deadline).
 */
export const HEARTBEAT_MS = 4000;
/** How long a timed-out job waits for its instance to be dropped before it is reported. */
const RELEASE_WAIT_MS = 2000;

function scriptDetails(err: unknown): Record<string, unknown> {
  if (!(err instanceof AppError)) return {};
  const out: Record<string, unknown> = { script_code: err.code };
  for (const key of ["sqlstate", "detail", "hint", "where", "file", "line", "column"]) {
    if (err.details[key] !== undefined) out[key] = err.details[key];
  }
  return out;
}

/** What the caller sees for a failure: a stable code, a message, and no internal URLs or stacks. */
export function describeFailure(err: unknown, timeoutMs: number, jobId?: string): JobError {
  if (err instanceof AbortedError && err.message === "timeout") {
    return {
      code: "timeout",
      message: `the job ran longer than timeout_ms (${timeoutMs} ms); its instance was dropped`,
    };
  }
  if (err instanceof StepFailure) {
    const inner = err.cause;
    const where =
      inner instanceof AppError && inner.details.file ? ` at ${inner.details.file}` : "";
    if (inner instanceof AppError && inner.code.startsWith("env_")) {
      return { code: "env_unavailable", message: inner.message };
    }
    return {
      code: err.side === "tail" ? "tail_error" : "head_error",
      message: `${err.side === "tail" ? "tail step" : "head"} failed${where}: ${err.message}`,
      ...scriptDetails(inner),
    };
  }
  if (err instanceof AppError) {
    if (err.code.startsWith("env_")) return { code: "env_unavailable", message: err.message };
    if (err.code.startsWith("snapshot_cache")) {
      return { code: "snapshot_cache_unavailable", message: err.message };
    }
    if (err.status < 500) return { code: err.code, message: err.message, ...err.details };
  }
  const errorId = newErrorId();
  logLine("error", "job_internal_error", {
    error_id: errorId,
    job_id: jobId,
    ...describeInternal(err),
  });
  return { code: "internal", message: "internal error while running the job", error_id: errorId };
}

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

  const active: ActiveRun = { controller: new AbortController(), instanceId: null };
  runStarted();
  const signal = active.controller.signal;
  host.setActive(active);
  // The watchdog lives outside PostgreSQL: the user's `SET statement_timeout = 0` cannot stop it.
  // A timed-out job ends at once (not when the flow unwinds from whatever it waited for), and
  // only once its instance is gone (waiting at most RELEASE_WAIT_MS for env-manager).
  let released: Promise<unknown> = Promise.resolve();
  signal.addEventListener("abort", () => {
    const release = active.instanceId
      ? releaseInstance(platform, active.instanceId)
      : Promise.resolve();
    released = Promise.race([release, sleep(RELEASE_WAIT_MS)]);
    if (signal.reason !== "timeout") return;
    void released.then(() => {
      const error = describeFailure(new AbortedError("timeout"), job.timeout_ms);
      finishJob(store, emit, "failed", error);
    });
  });
  const timer = setTimeout(() => active.controller.abort("timeout"), deadline - alarmStart);
  try {
    const result = await runFlow(
      {
        job,
        store,
        emit,
        platform,
        tailLease: host.tailLease,
        content: leasedContent(host.env, job.expires_at, job.user_id),
        signal,
        deadline,
        alarmStart,
        budgetMs: host.budgetMs,
        ...(host.cachedPlan?.runDigest === job.run_digest
          ? { plan: host.cachedPlan.plan, prefetched: host.cachedPlan.lookup }
          : { plan: null, prefetched: null }),
        setInstance: (id) => {
          active.instanceId = id;
        },
        countRetry: () => {
          const now = store.job();
          store.update({ retries: (now?.retries ?? 0) + 1 });
        },
      },
      { envManagerUrl: host.overrides.envManagerUrl ?? host.env.ENV_MANAGER_URL },
    );
    if (result.kind === "done") finishJob(store, emit, "completed", null);
    else store.update({ attempts: 0 });
  } catch (err) {
    await released;
    const current = store.job();
    if (current && !isTerminal(current.status)) {
      if (signal.aborted) {
        const aborted = new AbortedError(String(signal.reason));
        finishJob(store, emit, "failed", describeFailure(aborted, job.timeout_ms, job.job_id));
      } else {
        const share = await attributeFailure(platform.env, active.instanceId, err);
        if (share?.retryable && attempt < MAX_ATTEMPTS) {
          // Left running: the object re-arms its alarm, and the next run looks the tail up again,
          // so it boots from the last layer this run published and replays only what follows.
          emit("log", {
            level: "warning",
            message: `${share.error.message}; booting again from the last layer (attempt ${attempt + 1} of ${MAX_ATTEMPTS})`,
          });
          store.update({ retries: current.retries + 1 });
        } else {
          const error = share?.error ?? describeFailure(err, job.timeout_ms, job.job_id);
          finishJob(store, emit, "failed", scrubError(error));
        }
      }
    }
  } finally {
    clearTimeout(timer);
    clearInterval(heartbeat);
    runEnded();
    host.setActive(null);
    if (active.instanceId) {
      const finished = store.job()?.status === "completed";
      await releaseInstance(platform, active.instanceId, !finished);
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
