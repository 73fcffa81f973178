// The instance side of the flow: boot from the longest layer or the base image, and publish a
// layer (snapshot, then snapshot-cache) at the points later jobs need one.

import type { CreateInstanceResponse } from "../clients/contracts/env-manager.ts";
import { platformOffers, resolveEngine } from "../engines/check.ts";
import { AppError } from "../errors.ts";
import { roundMs } from "../jobs/model.ts";
import type { Plan, PlannedStep } from "../planner/plan.ts";
import { instanceBooted } from "../telemetry/job-telemetry.ts";
import { checkAborted, type FlowContext, inStage } from "./flow-context.ts";
import { sleep, withRetry } from "./platform.ts";
import type { Lookup } from "./tail-lookup.ts";

const READY_POLL_MS = 20;
const READY_TIMEOUT_MS = 20_000;

/** Steps after which a layer is published: stage ends, the whole tail, and the step before it. */
export function publishPoints(tail: readonly PlannedStep[]): Set<number> {
  const points = new Set<number>();
  for (const step of tail) if (step.lastOfStage) points.add(step.index);
  if (tail.length > 0) points.add(tail.length);
  if (tail.length > 1) points.add(tail.length - 1);
  return points;
}

/** The base a job without a layer boots: the exact engine its manifest selects, and extensions. */
async function baseSpec(ctx: FlowContext, plan: Plan, url: string) {
  const offers = await withRetry(
    "health",
    () => platformOffers(url, () => ctx.platform.env.health()),
    ctx.countRetry,
  );
  const { engine } = resolveEngine(offers, plan.config);
  const { extensions } = plan.config;
  return Object.keys(extensions).length > 0 ? { engine, extensions } : { engine };
}

export async function boot(
  ctx: FlowContext,
  plan: Plan,
  found: Lookup,
  envUrl: string,
): Promise<CreateInstanceResponse> {
  const from = found.layerId
    ? { layer_id: found.layerId }
    : { base: await baseSpec(ctx, plan, envUrl) };
  const ttl_ms = Math.min(3_600_000, Math.max(60_000, ctx.deadline - Date.now() + 60_000));
  const instance = await withRetry(
    "create instance",
    () => ctx.platform.env.create({ from, ttl_ms, owner: ctx.job.job_id }),
    ctx.countRetry,
    ctx.signal,
  );
  ctx.setInstance(instance.instance_id);
  ctx.store.update({ instance_id: instance.instance_id });
  instanceBooted(instance.boot.source, instance.boot.ms);
  ctx.emit("log", {
    message: `instance booted from ${instance.boot.source} in ${roundMs(instance.boot.ms)} ms`,
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

export async function publishLayer(
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
      ms: roundMs(snap.ms),
    });
    await waitReady(ctx, instanceId);
    return layerId;
  });
}
