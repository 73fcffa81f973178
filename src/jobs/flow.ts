// The snapshot flow of one job: plan, one chain lookup, an instance from the longest cached layer
// (or the base image), replay of the missing steps with layers published where later jobs need
// them, the head, and the result. Pure orchestration over the platform clients and the script
// runner; the alarm shell (execute.ts) owns attempts, the deadline and error reporting.
import type { ResultSet, SnapshotInfo, StageName } from "../api/schemas.ts";
import type { CreateInstanceResponse } from "../clients/contracts/env-manager.ts";
import type { PgConnection } from "../clients/contracts/pg-connection.ts";
import { AppError } from "../errors.ts";
import type { Plan, PlannedStep } from "../planner/plan.ts";
import { type Emit, round } from "./commands.ts";
import { type ContentStore, storeResolver } from "./content-store.ts";
import type { JobRow, JobStore } from "./job-store.ts";
import { planTree } from "./planning.ts";
import { type Platform, sleep, withRetry } from "./platform.ts";
import { runStep } from "./script.ts";

export interface FlowContext {
  job: JobRow;
  store: JobStore;
  emit: Emit;
  platform: Platform;
  tails: DurableObjectNamespace<import("../objects/tail-object.ts").TailObject>;
  signal: AbortSignal;
  deadline: number;
  alarmStart: number;
  budgetMs: number;
  /** Where `{ etag }` files are resolved. */
  content: ContentStore;
  /** A plan already made for this run (skips planning again), or null. */
  plan: Plan | null;
  /** The instance in use, so the shell can drop it on timeout, cancel or failure. */
  setInstance(id: string | null): void;
  countRetry(): void;
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

const LEASE_POLL_MS = 100;
const READY_POLL_MS = 20;
const READY_TIMEOUT_MS = 20_000;

function checkAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new AbortedError(String(signal.reason));
}

export class AbortedError extends Error {}

/** Times a stage: storage first, then the event. */
async function inStage<T>(ctx: FlowContext, name: StageName, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  ctx.store.openStage(name, Date.now());
  ctx.emit("stage", { stage: name, state: "running" });
  try {
    return await fn();
  } finally {
    const ms = performance.now() - t0;
    ctx.store.closeStage(name, ms);
    ctx.emit("stage", { stage: name, state: "done", ms: round(ms) });
  }
}

function advance(ctx: FlowContext, status: "preparing" | "running" | "publishing"): void {
  if (ctx.store.transition(status)) ctx.emit("status", { status });
}

/** Steps after which a layer is published: stage ends, the whole tail, and the step before it. */
export function publishPoints(tail: readonly PlannedStep[]): Set<number> {
  const points = new Set<number>();
  for (const step of tail) if (step.lastOfStage) points.add(step.index);
  if (tail.length > 0) points.add(tail.length);
  if (tail.length > 1) points.add(tail.length - 1);
  return points;
}

interface Lookup {
  reused: number;
  layerId: string | null;
  cacheOk: boolean;
}

async function lookup(ctx: FlowContext, plan: Plan): Promise<Lookup> {
  if (plan.tail.length === 0) return { reused: 0, layerId: null, cacheOk: true };
  try {
    const match = await ctx.platform.cache.lookup(plan.tail.map((s) => s.hash));
    return match
      ? { reused: match.index + 1, layerId: match.layer.layer_id, cacheOk: true }
      : { reused: 0, layerId: null, cacheOk: true };
  } catch (err) {
    if (err instanceof AppError && err.code.startsWith("snapshot_cache")) {
      ctx.emit("log", {
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
async function awaitTail(
  ctx: FlowContext,
  plan: Plan,
  found: Lookup,
): Promise<{ found: Lookup; leader: boolean }> {
  if (!found.cacheOk || found.reused === plan.tail.length) return { found, leader: false };
  const lease = ctx.tails.get(ctx.tails.idFromName(plan.tailHash));
  let waited = false;
  for (;;) {
    checkAborted(ctx.signal);
    const ttl = Math.max(1000, ctx.deadline - Date.now() + 5000);
    const answer = await lease.acquire(ctx.job.job_id, ttl);
    if (answer.granted && !waited) return { found, leader: true };
    if (!answer.granted && !waited) {
      ctx.emit("log", { message: "another job is replaying this tail: waiting for its layer" });
      waited = true;
    }
    let layer: Awaited<ReturnType<Platform["cache"]["getByHash"]>>;
    try {
      layer = await ctx.platform.cache.getByHash(plan.tailHash);
    } catch {
      return { found: { ...found, cacheOk: false }, leader: answer.granted };
    }
    if (layer) {
      if (answer.granted) await lease.release(ctx.job.job_id);
      return {
        found: { reused: plan.tail.length, layerId: layer.layer_id, cacheOk: true },
        leader: false,
      };
    }
    if (answer.granted) return { found, leader: true };
    await sleep(LEASE_POLL_MS, ctx.signal);
  }
}

let platformEngine: { url: string; engine: string } | null = null;

async function baseEngine(ctx: FlowContext, plan: Plan, url: string): Promise<string> {
  if (platformEngine?.url !== url) {
    const health = await withRetry("health", () => ctx.platform.env.health(), ctx.countRetry);
    platformEngine = { url, engine: health.engine };
  }
  const engine = platformEngine.engine;
  const major = engine.replace(/^postgres-/, "").split(".")[0];
  if (major !== plan.config.engine.split(".")[0]) {
    throw new AppError(
      503,
      "env_unavailable",
      `engine ${plan.config.engine} is not available (the platform runs ${engine})`,
    );
  }
  return engine;
}

async function boot(
  ctx: FlowContext,
  plan: Plan,
  found: Lookup,
  envUrl: string,
): Promise<CreateInstanceResponse> {
  const from = found.layerId
    ? { layer_id: found.layerId }
    : { base: { engine: await baseEngine(ctx, plan, envUrl) } };
  const ttl_ms = Math.min(3_600_000, Math.max(60_000, ctx.deadline - Date.now() + 60_000));
  const instance = await withRetry(
    "create instance",
    () => ctx.platform.env.create({ from, ttl_ms }),
    ctx.countRetry,
    ctx.signal,
  );
  ctx.setInstance(instance.instance_id);
  ctx.store.update({ instance_id: instance.instance_id });
  ctx.emit("log", {
    message: `instance booted from ${instance.boot.source} in ${round(instance.boot.ms)} ms`,
  });
  return instance;
}

/** After a snapshot the cluster restarts in the background: wait until it accepts connections. */
async function waitReady(ctx: FlowContext, instanceId: string): Promise<void> {
  const until = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < until) {
    checkAborted(ctx.signal);
    const info = await ctx.platform.env.get(instanceId);
    if (!info || info.state === "dead") {
      throw new AppError(503, "env_unavailable", "the instance died after a snapshot");
    }
    if (info.state === "ready") return;
    await sleep(READY_POLL_MS, ctx.signal);
  }
  throw new AppError(503, "env_unavailable", "the instance did not come back after a snapshot");
}

async function publishLayer(
  ctx: FlowContext,
  instanceId: string,
  step: PlannedStep,
  parent: string | null,
): Promise<string | null> {
  return inStage(ctx, "publishing", async () => {
    const snap = await withRetry(
      "snapshot",
      () => ctx.platform.env.snapshot(instanceId),
      ctx.countRetry,
      ctx.signal,
    );
    let layerId: string = snap.layer_id;
    try {
      const published = await ctx.platform.cache.publish({
        tail_hash: step.hash,
        layer_id: snap.layer_id,
        parent_hash: parent,
        engine: snap.engine,
        settings_digest: snap.settings_digest,
        size_bytes: snap.size_bytes,
        ttl_seconds: ctx.job.snapshot_ttl,
      });
      layerId = published.layer.layer_id;
    } catch (err) {
      if (!(err instanceof AppError && err.code.startsWith("snapshot_cache"))) throw err;
      ctx.emit("log", {
        level: "warning",
        message: `layer after step ${step.index} not published`,
      });
      await waitReady(ctx, instanceId);
      return null;
    }
    ctx.emit("step", {
      index: step.index,
      path: step.path,
      state: "published",
      layer_id: layerId,
      size_bytes: snap.size_bytes,
      ms: round(snap.ms),
    });
    await waitReady(ctx, instanceId);
    return layerId;
  });
}

export type FlowResult = { kind: "completed" } | { kind: "yield" };

export interface FlowEnv {
  envManagerUrl: string;
}

export async function runFlow(ctx: FlowContext, flowEnv: FlowEnv): Promise<FlowResult> {
  const { store, emit, job } = ctx;
  const head = job.head_path;
  if (!head) throw new AppError(500, "internal", "job has no head");
  const plan = ctx.plan ?? (await planTree(store.tree(), head, storeResolver(ctx.content)));
  advance(ctx, "preparing");

  const tail = plan.tail;
  const { found, leader } = await inStage(ctx, "snapshot_lookup", async () =>
    awaitTail(ctx, plan, await lookup(ctx, plan)),
  );
  const lease = leader ? ctx.tails.get(ctx.tails.idFromName(plan.tailHash)) : null;
  try {
    checkAborted(ctx.signal);
    const instance = await inStage(ctx, "instance_boot", () =>
      boot(ctx, plan, found, flowEnv.envManagerUrl),
    );
    const conn: PgConnection = instance.connection;
    advance(ctx, "running");

    const points = publishPoints(tail);
    let layerId = found.layerId;
    let parent = found.reused > 0 ? (tail[found.reused - 1]?.hash ?? null) : null;
    let lastLayered = found.reused;
    if (found.reused > 0) {
      emit("step", { state: "reused", reused_steps: found.reused, layer_id: found.layerId });
    }
    if (found.reused < tail.length) {
      await inStage(ctx, "tail_replay", async () => {
        for (const step of tail.slice(found.reused)) {
          checkAborted(ctx.signal);
          const t0 = performance.now();
          try {
            await runStep({
              files: plan.files,
              entry: step.path,
              variables: {},
              settings: plan.config.settings,
              seedHash: step.hash,
              connection: conn,
              signal: ctx.signal,
              collectResults: false,
              emit,
            });
          } catch (err) {
            if (ctx.signal.aborted) throw new AbortedError(String(ctx.signal.reason));
            throw new StepFailure("tail", err);
          }
          emit("step", {
            index: step.index,
            of: tail.length,
            path: step.path,
            stage: step.stage,
            state: "replayed",
            ms: round(performance.now() - t0),
          });
          const overBudget = Date.now() - ctx.alarmStart > ctx.budgetMs;
          const more = step.index < tail.length;
          if (found.cacheOk && (points.has(step.index) || (overBudget && more))) {
            const published = await publishLayer(ctx, instance.instance_id, step, parent);
            if (published) {
              layerId = published;
              parent = step.hash;
              lastLayered = step.index;
            }
          }
          if (overBudget && more && lastLayered === step.index) {
            store.update({ carried_steps: job.carried_steps + step.index - found.reused });
            emit("log", {
              message: `alarm time budget used after step ${step.index}: continuing in the next alarm`,
            });
            return "yield";
          }
        }
        return "done";
      }).then((r) => {
        if (r === "yield") throw new YieldSignal();
      });
    }
    // Steps an earlier alarm of this job replayed count as replayed, not as reused.
    const carried = Math.min(job.carried_steps, found.reused);
    const replayed = tail.length - found.reused + carried;
    const snapshot: SnapshotInfo = {
      tail_hash: plan.tailHash,
      layer_id: tail.length === 0 ? null : layerId,
      hit: replayed === 0,
      reused_steps: found.reused - carried,
      replayed_steps: replayed,
      tail_steps: tail.length,
      cache_available: found.cacheOk,
    };
    store.update({ snapshot, cache_hit: snapshot.hit });
    if (lease) await lease.release(job.job_id).catch(() => {});

    checkAborted(ctx.signal);
    let sets: ResultSet[];
    try {
      sets = await inStage(ctx, "head_execution", () =>
        runStep({
          files: plan.files,
          entry: plan.head.path,
          variables: job.variables,
          settings: plan.config.settings,
          seedHash: plan.tailHash,
          connection: conn,
          signal: ctx.signal,
          collectResults: true,
          emit,
        }),
      );
    } catch (err) {
      if (ctx.signal.aborted) throw new AbortedError(String(ctx.signal.reason));
      throw new StepFailure("head", err);
    }
    checkAborted(ctx.signal);
    advance(ctx, "publishing");
    store.putResult(sets);
    emit("result", {
      sets: sets.length,
      row_counts: sets.map((s) => s.row_count),
      href: `/v1/jobs/${job.job_id}`,
    });
    // The instance is dropped by the shell right after the job is marked completed.
    return { kind: "completed" };
  } catch (err) {
    if (err instanceof YieldSignal) return { kind: "yield" };
    throw err;
  } finally {
    if (lease) await lease.release(job.job_id).catch(() => {});
  }
}

class YieldSignal extends Error {}
