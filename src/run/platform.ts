// The job's view of the platform: clients built from the Worker's bindings, env-manager calls
// retried with back-off, and best-effort release of an instance (cancel its query, destroy it).
import { createEnvManagerClient, type EnvManagerClient } from "../clients/env-manager.ts";
import { createSnapshotCacheClient, type SnapshotCacheClient } from "../clients/snapshot-cache.ts";
import { AppError } from "../errors.ts";

/** Fault injection for tests: point a job at an unreachable service. */
export interface PlatformOverrides {
  snapshotCacheUrl?: string;
  envManagerUrl?: string;
  /** A lower total result cap (tests cross it without producing 64 MiB). */
  resultMaxBytes?: number;
  /** A shorter wait for a lost env-manager (a test whose env-manager never comes back). */
  envRecoveryMaxWaitMs?: number;
}

export interface Platform {
  env: EnvManagerClient;
  cache: SnapshotCacheClient;
  /** Longest wait for a lost env-manager to come back (`ENV_RECOVERY_MAX_WAIT_MS`). */
  envRecoveryMaxWaitMs: number;
}

export function platformFor(env: Env, overrides: PlatformOverrides = {}): Platform {
  return {
    env: createEnvManagerClient({
      baseUrl: overrides.envManagerUrl ?? env.ENV_MANAGER_URL,
      token: env.PLATFORM_TOKEN,
    }),
    cache: createSnapshotCacheClient({
      baseUrl: overrides.snapshotCacheUrl ?? env.SNAPSHOT_CACHE_URL,
      token: env.PLATFORM_TOKEN,
      timeoutMs: 3000,
    }),
    envRecoveryMaxWaitMs:
      overrides.envRecoveryMaxWaitMs ?? envRecoveryMaxWaitMs(env.ENV_RECOVERY_MAX_WAIT_MS),
  };
}

/** The longest cached prefix of a tail, as snapshot-cache answers a lookup (null: none). */
export type LookupMatch = Awaited<ReturnType<Platform["cache"]["lookup"]>>;

export const RETRY = { attempts: 4, baseMs: 150, maxMs: 2000 } as const;
/**
 * Longest single wait when env-manager says every instance is in use (429): its Retry-After is
 * the soonest instance *TTL*, but instances come free as soon as a job ends, so a job looks again
 * at least this often.
 */
export const CAPACITY_WAIT_MAX_MS = 5000;

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Waiting for a free instance (env-manager's 429) until `until`, instead of failing. */
export interface CapacityWait {
  until: number;
  /** Called before each wait (the job logs the first one). */
  onWait(waitMs: number, err: AppError): void;
}

/**
 * Calls env-manager, retrying `env_unavailable` answers with exponential back-off (or the
 * service's Retry-After, capped); `onRetry` counts them for the job's metrics. With `capacity`, a
 * full fleet (429) is waited out until `capacity.until` without counting against the attempts:
 * the job backs off instead of failing. The last error is rethrown.
 */
export async function withRetry<T>(
  what: string,
  fn: () => Promise<T>,
  onRetry: (attempt: number, err: AppError) => void,
  signal?: AbortSignal,
  capacity?: CapacityWait,
): Promise<T> {
  let fullWaits = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const retryable = err instanceof AppError && err.code === "env_unavailable";
      if (!retryable || signal?.aborted) throw err;
      const hinted = Number(err.details.retry_after_s) * 1000;
      const hint = Number.isFinite(hinted) && hinted > 0 ? hinted : null;
      if (capacity && err.details.upstream_status === 429) {
        const wait = Math.min(CAPACITY_WAIT_MAX_MS, hint ?? Infinity, 500 * 2 ** fullWaits);
        if (Date.now() + wait >= capacity.until) throw err;
        fullWaits++;
        attempt--;
        capacity.onWait(wait, err);
        await sleep(wait, signal);
        if (signal?.aborted) throw err;
        continue;
      }
      if (attempt >= RETRY.attempts) throw err;
      onRetry(attempt, err);
      const backoff = RETRY.baseMs * 2 ** (attempt - 1);
      await sleep(Math.min(RETRY.maxMs, hint ?? backoff), signal);
      if (signal?.aborted) throw err;
      void what;
    }
  }
}

/**
 * Drops the instance, first cancelling whatever query still runs on it (skipped after a normal
 * end, when nothing runs); never throws.
 */
export async function releaseInstance(
  platform: Platform,
  instanceId: string,
  cancelFirst = true,
): Promise<void> {
  if (cancelFirst) {
    try {
      await platform.env.cancel(instanceId);
    } catch {
      // Not running anything, or already gone.
    }
  }
  try {
    await platform.env.destroy(instanceId);
  } catch {
    // Already gone; env-manager's TTL reaper is the last resort.
  }
}

/**
 * How long a job waits for a lost env-manager to answer /healthz again before it fails with
 * `env_unavailable`: a restarted env-manager is back within seconds, and failing at once would
 * end every running job of the fleet for one service restart.
 */
export const ENV_RECOVERY = { maxWaitMs: 60_000, baseMs: 250, maxStepMs: 5000 } as const;

/**
 * The `ENV_RECOVERY_MAX_WAIT_MS` var (ms, 0 = fail at once), else ENV_RECOVERY.maxWaitMs. The unit
 * tests, which have no env-manager at all, set it to 0 so their jobs fail fast.
 */
export function envRecoveryMaxWaitMs(value: string | undefined): number {
  const n = Number(value);
  return value !== undefined && value.trim() !== "" && Number.isSafeInteger(n) && n >= 0
    ? n
    : ENV_RECOVERY.maxWaitMs;
}

/** env-manager did not answer (connection failed, 5xx): not a full fleet (429), which waits in
 * withRetry, nor anything the user's SQL did. */
export function isEnvManagerDown(err: unknown): boolean {
  const inner = err instanceof Error && err.cause instanceof AppError ? err.cause : err;
  return (
    inner instanceof AppError &&
    inner.code === "env_unavailable" &&
    inner.details.upstream_status !== 429
  );
}

/**
 * Polls env-manager's /healthz with exponential back-off until it answers (true), or
 * the platform's envRecoveryMaxWaitMs, `until` or the signal end the wait (false).
 */
export async function waitForEnvManager(
  platform: Platform,
  signal: AbortSignal,
  until: number,
): Promise<boolean> {
  const end = Math.min(until, Date.now() + platform.envRecoveryMaxWaitMs);
  for (let i = 0; !signal.aborted; i++) {
    try {
      await platform.env.health();
      return true;
    } catch {
      // Still down (or restarting): wait and ask again.
    }
    const step = Math.min(ENV_RECOVERY.maxStepMs, ENV_RECOVERY.baseMs * 2 ** i);
    if (Date.now() + step >= end) return false;
    await sleep(step, signal);
  }
  return false;
}
