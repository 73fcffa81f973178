// The scheduled sweep (Cron Trigger, `npm start`'s local cron, `npm run gc`): collects what no job
// keeps any longer. Three independent parts, each bounded per run; one failing does not stop the
// others, and what failed is reported rather than thrown. Job storage needs no sweep: each job
// object deletes itself at `expires_at` from its own alarm.
import type { EnvManagerClient } from "../clients/env-manager.ts";
import type { SnapshotCacheClient } from "../clients/snapshot-cache.ts";
import { SHARDS } from "./content-keep.ts";

/** Contents deleted per shard and run (R2 deletes take up to 1000 keys a call). */
const FILES_PER_SHARD = 1000;
/** An instance younger than this may belong to a job that has not stored its id yet. */
export const ORPHAN_GRACE_MS = 120_000;

export interface SweepReport {
  files_deleted: number;
  files_bytes: number;
  layers_deleted: number;
  layers_bytes: number;
  instances_destroyed: number;
  /** Parts that could not run, e.g. `{ part: "layers", message }`. */
  errors: Array<{ part: "files" | "layers" | "instances"; message: string }>;
  ms: number;
}

export interface SweepDeps {
  now: number;
  /** A shard of the content index, by name. */
  fileShard(name: string): {
    collect(now: number, limit: number): Promise<{ deleted: number; bytes: number }>;
  };
  /** Whether the job `owner` still holds instance `instanceId` (false when the job is gone). */
  holdsInstance(owner: string, instanceId: string): Promise<boolean>;
  envManager: EnvManagerClient;
  snapshotCache: SnapshotCacheClient;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** A report of nothing deleted (a sweep starts from it; runs can be summed into it). */
export function emptySweepReport(): SweepReport {
  return {
    files_deleted: 0,
    files_bytes: 0,
    layers_deleted: 0,
    layers_bytes: 0,
    instances_destroyed: 0,
    errors: [],
    ms: 0,
  };
}

export async function sweep(deps: SweepDeps): Promise<SweepReport> {
  const t0 = Date.now();
  const report = emptySweepReport();
  await Promise.all([
    collectFiles(deps, report).catch((err) =>
      report.errors.push({ part: "files", message: message(err) }),
    ),
    collectLayers(deps, report).catch((err) =>
      report.errors.push({ part: "layers", message: message(err) }),
    ),
    collectInstances(deps, report).catch((err) =>
      report.errors.push({ part: "instances", message: message(err) }),
    ),
  ]);
  report.ms = Date.now() - t0;
  return report;
}

async function collectFiles(deps: SweepDeps, report: SweepReport): Promise<void> {
  const answers = await Promise.all(
    SHARDS.map((hex) => deps.fileShard(`files-${hex}`).collect(deps.now, FILES_PER_SHARD)),
  );
  for (const a of answers) {
    report.files_deleted += a.deleted;
    report.files_bytes += a.bytes;
  }
}

async function collectLayers(deps: SweepDeps, report: SweepReport): Promise<void> {
  const gc = await deps.snapshotCache.gc();
  report.layers_deleted = gc.deleted.length;
  report.layers_bytes = gc.deleted.reduce((sum, d) => sum + d.size_bytes, 0);
}

async function collectInstances(deps: SweepDeps, report: SweepReport): Promise<void> {
  const { instances } = await deps.envManager.list();
  for (const instance of instances) {
    if (!instance.owner) continue;
    if (Date.parse(instance.created_at) > deps.now - ORPHAN_GRACE_MS) continue;
    if (await deps.holdsInstance(instance.owner, instance.instance_id)) continue;
    const { destroyed } = await deps.envManager.destroy(instance.instance_id);
    if (destroyed) report.instances_destroyed++;
  }
}
