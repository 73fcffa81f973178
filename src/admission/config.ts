// The admission caps of a deployment, from its vars (wrangler.toml): every one has a default, so
// a deployment that sets none still has a bounded queue.
import type { AdmissionLimits } from "./queue.ts";

export const ADMISSION_DEFAULTS: AdmissionLimits = {
  // Below env-manager's instance cap (32 locally), leaving room for pool refills and the
  // playground: a granted job should find an instance free.
  maxRunning: 16,
  maxQueued: 2000,
  // Several missed heartbeats (a running job renews every HEARTBEAT_MS/2, a queued one polls
  // every POLL_MS) before a slot is taken back from a job that stopped renewing.
  leaseMs: 30_000,
};

/** The pool every job of the deployment uses (tests name their own, see JobObject.overrides). */
export const DEFAULT_POOL = "global";

function positive(raw: string | undefined, fallback: number): number {
  const n = Number(raw);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

export function admissionLimits(
  env: Partial<Pick<Env, "ADMISSION_MAX_RUNNING" | "ADMISSION_MAX_QUEUED" | "ADMISSION_LEASE_MS">>,
): AdmissionLimits {
  return {
    maxRunning: positive(env.ADMISSION_MAX_RUNNING, ADMISSION_DEFAULTS.maxRunning),
    maxQueued: positive(env.ADMISSION_MAX_QUEUED, ADMISSION_DEFAULTS.maxQueued),
    leaseMs: positive(env.ADMISSION_LEASE_MS, ADMISSION_DEFAULTS.leaseMs),
  };
}
