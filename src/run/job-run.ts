// One run of a job, one alarm's worth: what it was started with, what it holds while it runs (the
// abort signal, the instance in use), and its three exits: done, continue in the next alarm, or
// failed. The flow's parts (tail-lookup, layers, background-publish, head) take the run; the alarm
// shell (execute.ts) makes one, hands it to the flow (flow.ts) and ends it through an exit.

import type { InstanceQuota } from "../clients/contracts/env-manager.ts";
import type { ContentStore } from "../jobs/content-store.ts";
import { finishJob } from "../jobs/finish.ts";
import type { JobRow, JobStore } from "../jobs/job-store.ts";
import { type Emit, roundMs, type StageName } from "../jobs/model.ts";
import { isTerminal } from "../jobs/state-machine.ts";
import { attributeFailure, scrubError } from "../limits/attribution.ts";
import type { Plan } from "../planner/plan.ts";
import { stageSpan } from "../telemetry/job-telemetry.ts";
import type { TenantLedger } from "../tenant/reuse-report.ts";
import { AbortedError, describeFailure } from "./failure.ts";
import {
  isEnvManagerDown,
  type LookupMatch,
  type Platform,
  waitForEnvManager,
} from "./platform.ts";

/** Interrupted runs (eviction, crash) resumed before the job fails with `internal`. */
export const MAX_ATTEMPTS = 3;

/** What the run needs of a tail's lease: see src/objects/tail-object.ts. */
export interface TailLease {
  acquire(holder: string, ttlMs: number): Promise<{ granted: boolean }>;
  release(holder: string): Promise<void>;
}

export type PrefetchedLookup = Promise<{ match: LookupMatch } | { error: unknown }>;

/**
 * How a flow ends when nothing failed: `done` (the result is stored) or `continue` (the alarm's
 * time budget is used up after a published layer: the next alarm goes on from it). Failures are
 * thrown (StepFailure, AbortedError, AppError) and end the run through `fail`.
 */
export type FlowResult = { kind: "done" } | { kind: "continue" };

export interface JobRunInputs {
  job: JobRow;
  store: JobStore;
  emit: Emit;
  platform: Platform;
  /** Where `{ etag }` files are resolved. */
  content: ContentStore;
  /** The single-flight lease of a tail hash (a TailObject). */
  tailLease(tailHash: string): TailLease;
  /** This run's number among the job's runs (1 for the first). */
  attempt: number;
  /** Wall time by which the job must have ended (its start plus timeout_ms). */
  deadline: number;
  alarmStart: number;
  /** Wall time one alarm may spend replaying before it continues in the next alarm. */
  budgetMs: number;
  envManagerUrl: string;
  /** The job's total result cap in UTF-8 bytes (RESULT_MAX_BYTES, or a test's override). */
  resultMaxBytes: number;
  /** The user's ledger of prefixes they ran: what the job may report as reused (null: none). */
  tenant?: TenantLedger | null;
  /** The quota every instance of the run is created with (the user's plan's), if any. */
  instanceQuota?: InstanceQuota | undefined;
  /** A plan already made for this run (skips planning again), or null. */
  plan: Plan | null;
  /** The chain lookup started when the run was requested (with `plan`), or null. */
  prefetched: PrefetchedLookup | null;
}

export class JobRun {
  readonly job: JobRow;
  readonly store: JobStore;
  readonly emit: Emit;
  readonly platform: Platform;
  readonly content: ContentStore;
  readonly attempt: number;
  readonly deadline: number;
  readonly alarmStart: number;
  readonly budgetMs: number;
  readonly envManagerUrl: string;
  readonly resultMaxBytes: number;
  readonly instanceQuota: InstanceQuota | undefined;
  readonly tenant: TenantLedger | null;
  readonly plan: Plan | null;
  /** The instance in use, so a timeout, cancel or failure can drop it. */
  instanceId: string | null = null;
  readonly #tailLease: (tailHash: string) => TailLease;
  readonly #controller = new AbortController();
  #prefetched: PrefetchedLookup | null;

  constructor(inputs: JobRunInputs) {
    this.job = inputs.job;
    this.store = inputs.store;
    this.emit = inputs.emit;
    this.platform = inputs.platform;
    this.content = inputs.content;
    this.attempt = inputs.attempt;
    this.deadline = inputs.deadline;
    this.alarmStart = inputs.alarmStart;
    this.budgetMs = inputs.budgetMs;
    this.envManagerUrl = inputs.envManagerUrl;
    this.resultMaxBytes = inputs.resultMaxBytes;
    this.instanceQuota = inputs.instanceQuota;
    this.tenant = inputs.tenant ?? null;
    this.plan = inputs.plan;
    this.#tailLease = inputs.tailLease;
    this.#prefetched = inputs.prefetched;
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Stops the run: every wait of the flow ends with an AbortedError carrying the reason. */
  abort(reason: "timeout" | "canceled"): void {
    this.#controller.abort(reason);
  }

  tailLease(tailHash: string): TailLease {
    return this.#tailLease(tailHash);
  }

  /** The prefetched chain lookup, good for the run's first lookup only. */
  takePrefetched(): PrefetchedLookup | null {
    const prefetched = this.#prefetched;
    this.#prefetched = null;
    return prefetched;
  }

  setInstance(id: string | null): void {
    this.instanceId = id;
  }

  /** A platform call retried (passed to withRetry, hence a bound function). */
  readonly countRetry = (): void => {
    this.store.update({ retries: (this.store.job()?.retries ?? 0) + 1 });
  };

  /** Times a stage: storage first, then the event. */
  async stage<T>(name: StageName, fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    this.store.openStage(name, Date.now());
    this.emit("stage", { stage: name, state: "running" });
    try {
      return await stageSpan(this.job, name, fn);
    } finally {
      const ms = performance.now() - t0;
      this.store.closeStage(name, ms);
      this.emit("stage", { stage: name, state: "done", ms: roundMs(ms) });
    }
  }

  /** Exit: the flow ended (the result is stored), or the next alarm goes on from the last layer. */
  ended(result: FlowResult): void {
    if (result.kind === "done") finishJob(this.store, this.emit, "completed", null);
    else this.store.update({ attempts: 0 });
  }

  /**
   * Exit: the flow threw. An abort (timeout, cancel) fails the job with its reason; a platform
   * failure that is safe to retry leaves the job running (the object re-arms its alarm and the
   * next run boots from the last layer this one published); anything else fails the job with the
   * side named and the message scrubbed of host paths.
   */
  async fail(err: unknown): Promise<void> {
    const current = this.store.job();
    if (!current || isTerminal(current.status)) return;
    const { job, store, emit } = this;
    if (this.signal.aborted) {
      const aborted = new AbortedError(String(this.signal.reason));
      finishJob(store, emit, "failed", describeFailure(aborted, job.timeout_ms, job.job_id));
      return;
    }
    const share = await attributeFailure(this.platform.env, this.instanceId, err);
    // env-manager itself is gone (killed, restarting): booting again at once would fail the same
    // way, so wait for it to answer, then retry; only if it stays away is the job failed, and
    // then as the platform's env_unavailable, never as the user's tail_error/head_error.
    const envDown = share?.error.code === "env_unavailable" || (!share && isEnvManagerDown(err));
    if (envDown && this.attempt < MAX_ATTEMPTS) {
      emit("log", {
        level: "warning",
        message: "env-manager is unreachable (a platform failure); waiting for it to come back",
      });
      if (await waitForEnvManager(this.platform, this.signal, this.deadline)) {
        emit("log", {
          level: "warning",
          message: `env-manager answers again; booting again from the last layer (attempt ${this.attempt + 1} of ${MAX_ATTEMPTS})`,
        });
        store.update({ retries: current.retries + 1 });
        return;
      }
      // Timed out or canceled meanwhile: ended as any aborted run is (above).
      if (this.signal.aborted) return this.fail(err);
    } else if (share?.retryable && this.attempt < MAX_ATTEMPTS) {
      emit("log", {
        level: "warning",
        message: `${share.error.message}; booting again from the last layer (attempt ${this.attempt + 1} of ${MAX_ATTEMPTS})`,
      });
      store.update({ retries: current.retries + 1 });
      return;
    }
    const error = share?.error ?? describeFailure(err, job.timeout_ms, job.job_id);
    finishJob(store, emit, "failed", scrubError(error));
  }
}
