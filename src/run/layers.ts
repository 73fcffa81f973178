// The instance side of the flow: boot from the longest layer or the base image, and publish a
// layer (snapshot, then snapshot-cache) at the points later jobs need one.

import type { CreateInstanceResponse } from "../clients/contracts/env-manager.ts";
import { platformOffers, resolveEngine } from "../engines/check.ts";
import { AppError } from "../errors.ts";
import { roundMs } from "../jobs/model.ts";
import type { LayerPolicy } from "../planner/manifest.ts";
import type { Plan, PlannedStep } from "../planner/plan.ts";
import { instanceBooted } from "../telemetry/job-telemetry.ts";
import type { LayerPublisher } from "./background-publish.ts";
import { checkAborted } from "./failure.ts";
import type { JobRun } from "./job-run.ts";
import { sleep, withRetry } from "./platform.ts";
import type { Lookup } from "./tail-lookup.ts";

const READY_POLL_MS = 20;
const READY_TIMEOUT_MS = 20_000;

/**
 * Steps after which a layer is published: every step by default (a layer costs only the chunks it
 * changed); with `"layers": "stage-ends"`, stage ends, the whole tail and the step before it.
 */
export function publishPoints(
  tail: readonly PlannedStep[],
  policy: LayerPolicy = "every-step",
): Set<number> {
  if (policy === "every-step") return new Set(tail.map((s) => s.index));
  const points = new Set<number>();
  for (const step of tail) if (step.lastOfStage) points.add(step.index);
  if (tail.length > 0) points.add(tail.length);
  if (tail.length > 1) points.add(tail.length - 1);
  return points;
}

/** The base a job without a layer boots: the exact engine its manifest selects, and extensions. */
async function baseSpec(run: JobRun, plan: Plan) {
  const offers = await withRetry(
    "health",
    () => platformOffers(run.envManagerUrl, () => run.platform.env.health()),
    run.countRetry,
  );
  const { engine } = resolveEngine(offers, plan.config);
  const { extensions } = plan.config;
  return Object.keys(extensions).length > 0 ? { engine, extensions } : { engine };
}

export async function boot(
  run: JobRun,
  plan: Plan,
  found: Lookup,
): Promise<CreateInstanceResponse> {
  const from = found.layerId ? { layer_id: found.layerId } : { base: await baseSpec(run, plan) };
  const ttl_ms = Math.min(3_600_000, Math.max(60_000, run.deadline - Date.now() + 60_000));
  let waits = 0;
  const instance = await withRetry(
    "create instance",
    () =>
      run.platform.env.create({
        from,
        ttl_ms,
        owner: run.job.job_id,
        ...(run.instanceQuota ? { quota: run.instanceQuota } : {}),
      }),
    run.countRetry,
    run.signal,
    {
      until: run.deadline,
      onWait: (ms, err) => {
        if (waits++ === 0) {
          run.emit("log", {
            level: "warning",
            message: `${err.message}; waiting for a free instance (next try in ${ms} ms, until the job's timeout)`,
          });
        }
      },
    },
  );
  run.setInstance(instance.instance_id);
  run.store.update({ instance_id: instance.instance_id });
  instanceBooted(instance.boot.source, instance.boot.ms);
  // The source (pool, layer, base) is not named to the user: booting from a layer they never
  // built would tell them another user ran their tail (src/tenant/reuse-report.ts). Operators
  // see it in instanceBooted's metric.
  run.emit("log", { message: `instance booted in ${roundMs(instance.boot.ms)} ms` });
  return instance;
}

/** After a snapshot the cluster restarts in the background: wait until it accepts connections. */
async function waitReady(run: JobRun, instanceId: string): Promise<void> {
  const until = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < until) {
    checkAborted(run.signal);
    const info = await run.platform.env.get(instanceId);
    if (!info || info.state === "dead") {
      // The platform's failure (PostgreSQL crashed while restarting): the run boots again from
      // the layer just taken (src/limits/attribution.ts), as for an instance lost mid-step.
      throw new AppError(503, "instance_lost", "the instance died after a snapshot");
    }
    if (info.state === "ready") return;
    await sleep(READY_POLL_MS, run.signal);
  }
  throw new AppError(503, "env_unavailable", "the instance did not come back after a snapshot");
}

/**
 * Snapshots the instance after `step` and queues the layer's publish: the job waits only until the
 * server runs again; env-manager writes the layer in the background and `publisher` publishes it.
 * Returns the layer id, or null when no snapshot could be taken.
 */
export async function publishLayer(
  run: JobRun,
  instanceId: string,
  step: PlannedStep,
  parent: string | null,
  publisher: LayerPublisher,
): Promise<string | null> {
  return run.stage("publishing", async () => {
    const snap = await withRetry(
      "snapshot",
      () => run.platform.env.snapshot(instanceId, { background: true }),
      run.countRetry,
      run.signal,
    );
    publisher.add(snap, step, parent);
    await waitReady(run, instanceId);
    return snap.layer_id;
  });
}
