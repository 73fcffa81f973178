// The lookup side of the flow: the longest cached prefix of the tail in one call, and single
// flight for an uncached tail (a TailObject lease: the holder replays, the others poll for the
// layer and then boot from it).
import { AppError } from "../errors.ts";
import type { Plan } from "../planner/plan.ts";
import { recallTail, rememberTail } from "../warm/tail-memory.ts";
import { checkAborted } from "./failure.ts";
import type { JobRun, PrefetchedLookup } from "./job-run.ts";
import { type LookupMatch, type Platform, sleep } from "./platform.ts";

const LEASE_POLL_MS = 100;

export interface Lookup {
  reused: number;
  layerId: string | null;
  cacheOk: boolean;
  /** The layer came from this isolate's memory of the tail (tail-memory.ts), not a lookup. */
  remembered?: boolean;
}

/**
 * The chain lookup, started as soon as a run is requested (the plan is known then), so its round
 * trip overlaps the alarm's start. Settles to the match or to the error (never rejects). Null for
 * a tail this isolate remembers: the run boots from the remembered layer and `lookup` starts the
 * refresh then, after it read the memory (an answer that came in first would replace the memory
 * the run was meant to use, and a remembered layer GC removed would then be met only by chance).
 */
export function prefetchLookup(platform: Platform, plan: Plan): PrefetchedLookup | null {
  if (plan.tail.length > 0 && recallTail(plan.tailHash)) return null;
  return refreshLookup(platform, plan);
}

/** The chain lookup, noting its answer in the isolate's memory of tails. */
function refreshLookup(platform: Platform, plan: Plan): PrefetchedLookup {
  if (plan.tail.length === 0) return Promise.resolve({ match: null });
  return platform.cache.lookup(plan.tail.map((s) => s.hash)).then(
    (match) => {
      noteMatch(plan, match);
      return { match };
    },
    (error: unknown) => ({ error }),
  );
}

/** Keeps (or drops) the isolate's memory of this tail from a lookup's answer. */
function noteMatch(plan: Plan, match: LookupMatch): void {
  const whole = match !== null && match.index + 1 === plan.tail.length;
  rememberTail(plan.tailHash, whole ? match.layer.layer_id : null);
}

export async function lookup(run: JobRun, plan: Plan): Promise<Lookup> {
  if (plan.tail.length === 0) return { reused: 0, layerId: null, cacheOk: true };
  // The prefetched lookup serves the run's first lookup only (a retry after GC asks again).
  const early = run.takePrefetched();
  const remembered = recallTail(plan.tailHash);
  if (remembered) {
    // The lookup still runs (the prefetch, or one started here) to refresh the memory, unawaited.
    if (!early) void refreshLookup(run.platform, plan);
    return { reused: plan.tail.length, layerId: remembered, cacheOk: true, remembered: true };
  }
  try {
    const answer = early ? await early : null;
    if (answer && "error" in answer) throw answer.error;
    const match = answer
      ? answer.match
      : await run.platform.cache.lookup(plan.tail.map((s) => s.hash));
    noteMatch(plan, match);
    return match
      ? { reused: match.index + 1, layerId: match.layer.layer_id, cacheOk: true }
      : { reused: 0, layerId: null, cacheOk: true };
  } catch (err) {
    if (err instanceof AppError && err.code.startsWith("snapshot_cache")) {
      run.emit("log", {
        level: "warning",
        message: "snapshot-cache is unavailable: replaying the whole tail, publishing no layers",
      });
      return { reused: 0, layerId: null, cacheOk: false };
    }
    throw err;
  }
}

/**
 * Single flight: concurrent jobs with the same uncached tail replay it once. The lease holder
 * replays; the others poll for the tail's layer and then boot from it.
 */
export async function awaitTail(
  run: JobRun,
  plan: Plan,
  found: Lookup,
): Promise<{ found: Lookup; leader: boolean }> {
  if (!found.cacheOk || found.reused === plan.tail.length) return { found, leader: false };
  const lease = run.tailLease(plan.tailHash);
  let waited = false;
  for (;;) {
    checkAborted(run.signal);
    const ttl = Math.max(1000, run.deadline - Date.now() + 5000);
    const answer = await lease.acquire(run.job.job_id, ttl);
    if (answer.granted && !waited) return { found, leader: true };
    if (!answer.granted && !waited) {
      // Not "another job is replaying this tail": that job may be another user's, and the user
      // may only learn of their own (src/tenant/reuse-report.ts).
      run.emit("log", { message: "waiting for this tail's layer" });
      waited = true;
    }
    let layer: Awaited<ReturnType<Platform["cache"]["getByHash"]>>;
    try {
      layer = await run.platform.cache.getByHash(plan.tailHash);
    } catch {
      return { found: { ...found, cacheOk: false }, leader: answer.granted };
    }
    if (layer) {
      rememberTail(plan.tailHash, layer.layer_id);
      if (answer.granted) await lease.release(run.job.job_id);
      return {
        found: { reused: plan.tail.length, layerId: layer.layer_id, cacheOk: true },
        leader: false,
      };
    }
    if (answer.granted) return { found, leader: true };
    await sleep(LEASE_POLL_MS, run.signal);
  }
}

/** env-manager's answer when a layer no longer exists (snapshot-cache's GC removed it). */
export function isLayerGone(err: unknown): boolean {
  return err instanceof AppError && err.details.upstream_code === "layer_not_found";
}
