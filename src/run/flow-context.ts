// What the snapshot flow's parts share: the context of one run, its stage timer, and the errors
// that say where a run ended (a step of a side failed, or the run was aborted).

import type { ContentStore } from "../jobs/content-store.ts";
import type { JobRow, JobStore } from "../jobs/job-store.ts";
import { type Emit, roundMs, type StageName } from "../jobs/model.ts";
import type { Plan } from "../planner/plan.ts";
import { stageSpan } from "../telemetry/job-telemetry.ts";
import type { LookupMatch, Platform } from "./platform.ts";

export interface FlowContext {
  job: JobRow;
  store: JobStore;
  emit: Emit;
  platform: Platform;
  /** The single-flight lease of a tail hash (a TailObject, handed in by the job object). */
  tailLease(tailHash: string): TailLease;
  signal: AbortSignal;
  deadline: number;
  alarmStart: number;
  budgetMs: number;
  /** Where `{ etag }` files are resolved. */
  content: ContentStore;
  /** The chain lookup started when the run was requested (with `plan`), or null. */
  prefetched: Promise<{ match: LookupMatch } | { error: unknown }> | null;
  /** A plan already made for this run (skips planning again), or null. */
  plan: Plan | null;
  /** The instance in use, so the shell can drop it on timeout, cancel or failure. */
  setInstance(id: string | null): void;
  countRetry(): void;
}

/** What the run needs of a tail's lease: see src/objects/tail-object.ts. */
export interface TailLease {
  acquire(holder: string, ttlMs: number): Promise<{ granted: boolean }>;
  release(holder: string): Promise<void>;
}

/** An error in a tail step or the head, reported with its side. */
export class StepFailure extends Error {
  readonly side: "tail" | "head";
  override readonly cause: unknown;
  constructor(side: "tail" | "head", cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.side = side;
    this.cause = cause;
  }
}

export function checkAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new AbortedError(String(signal.reason));
}

export class AbortedError extends Error {}

/** Times a stage: storage first, then the event. */
export async function inStage<T>(
  ctx: FlowContext,
  name: StageName,
  fn: () => Promise<T>,
): Promise<T> {
  const t0 = performance.now();
  ctx.store.openStage(name, Date.now());
  ctx.emit("stage", { stage: name, state: "running" });
  try {
    return await stageSpan(ctx.job, name, fn);
  } finally {
    const ms = performance.now() - t0;
    ctx.store.closeStage(name, ms);
    ctx.emit("stage", { stage: name, state: "done", ms: roundMs(ms) });
  }
}
