// The shell around planGc: asks env-manager what is in use (and deletes nothing if it can't), drops
// the chosen index rows, removes their directories, then sweeps orphans (losers of a publish race,
// admin-deleted layers, directories nobody indexed) and unfinished `.tmp-*` copies. Also the
// start-up recovery from a crash.
import type { GcDeletion, GcResponse } from "../../../src/clients/contracts/snapshot-cache.ts";
import { AppError } from "../../../src/errors.ts";
import { markChunks, sweepChunks } from "./chunk-gc.ts";
import { planGc } from "./gc-plan.ts";
import type { InUseSource } from "./in-use.ts";
import type { IndexStore, LayerRow } from "./index-store.ts";
import type { LayerStorage } from "./layer-storage.ts";

export type GcDeps = {
  store: IndexStore;
  storage: LayerStorage;
  inUse: InUseSource;
  now: () => number;
  byteBudget: number;
  /** LRU spares layers used this recently (a lookup whose instance is still being created). */
  recentUseGraceMs: number;
  /** Unindexed and `.tmp-*` directories younger than this may still be in env-manager's hands. */
  leftoverGraceMs: number;
  /** Directories being removed right now; publish refuses them. */
  deleting: Set<string>;
};

export async function collectGarbage(d: GcDeps): Promise<GcResponse> {
  let inUse: Set<string>;
  try {
    inUse = new Set(await d.inUse());
  } catch (err) {
    const reason = err instanceof Error ? err.message : "unknown failure";
    throw new AppError(503, "env_manager_unavailable", `GC deleted nothing: ${reason}`);
  }

  // Plan and drop the rows in one synchronous step so no lookup or publish interleaves.
  const now = d.now();
  const plan = planGc({
    rows: d.store.all(),
    inUse,
    now,
    byteBudget: d.byteBudget,
    recentUseGraceMs: d.recentUseGraceMs,
  });
  const victims: { r: LayerRow; reason: "expired" | "lru" }[] = [
    ...plan.expired.map((r) => ({ r, reason: "expired" as const })),
    ...plan.lru.map((r) => ({ r, reason: "lru" as const })),
  ];
  d.store.removeRows(victims.map((v) => v.r));
  for (const v of victims) d.deleting.add(v.r.layer_id);

  const deleted: GcDeletion[] = [];
  const kept = new Set(plan.keptInUse);
  const remove = async (name: string, entry: GcDeletion): Promise<void> => {
    try {
      await d.storage.remove(name);
      deleted.push(entry);
    } finally {
      d.deleting.delete(name);
    }
  };

  for (const { r, reason } of victims) {
    const entry = {
      layer_id: r.layer_id,
      tail_hash: r.tail_hash,
      reason,
      size_bytes: r.size_bytes,
    };
    // A directory still serving another tail hash stays; only the index entry goes.
    if (d.store.byLayerId(r.layer_id)) {
      d.deleting.delete(r.layer_id);
      deleted.push(entry);
    } else await remove(r.layer_id, entry);
  }

  for (const id of d.store.orphans()) {
    if (d.store.byLayerId(id) || !(await d.storage.exists(id))) {
      d.store.forgetOrphan(id);
      continue;
    }
    if (inUse.has(id)) {
      kept.add(id);
      continue;
    }
    const size = await sizeOf(d.storage, id);
    if (d.store.byLayerId(id) || d.deleting.has(id)) continue;
    d.deleting.add(id);
    d.store.forgetOrphan(id);
    await remove(id, { layer_id: id, tail_hash: null, reason: "orphan", size_bytes: size });
  }

  const isOld = async (name: string) => {
    const mtime = await d.storage.mtimeMs(name);
    return mtime !== null && d.now() - mtime >= d.leftoverGraceMs;
  };
  for (const e of await d.storage.list()) {
    if (d.deleting.has(e.name)) continue;
    if (e.ours || (e.unfinished && (await isOld(e.name)))) {
      const size = await d.storage.du(e.name);
      await remove(e.name, {
        layer_id: e.name,
        tail_hash: null,
        reason: "unfinished",
        size_bytes: size,
      });
      continue;
    }
    if (e.unfinished || d.store.byLayerId(e.name)) continue;
    if (!(await isOld(e.name))) continue;
    if (inUse.has(e.name)) {
      kept.add(e.name);
      continue;
    }
    const size = await sizeOf(d.storage, e.name);
    if (d.store.byLayerId(e.name) || d.deleting.has(e.name)) continue;
    d.deleting.add(e.name);
    await remove(e.name, { layer_id: e.name, tail_hash: null, reason: "orphan", size_bytes: size });
  }

  // Chunks last: the directories deleted above no longer mark theirs.
  const marked = await markChunks(d.storage.root);
  const chunks = await sweepChunks(d.storage.chunksRoot, marked, d.now(), d.leftoverGraceMs);

  return {
    deleted,
    chunks,
    kept_in_use: [...kept].sort(),
    total_bytes: d.store.totalBytes(),
    byte_budget: d.byteBudget,
  };
}

async function sizeOf(storage: LayerStorage, layerId: string): Promise<number> {
  const meta = await storage.readLayerJson(layerId);
  const size = meta?.size_bytes;
  return typeof size === "number" && Number.isInteger(size) && size >= 0
    ? size
    : storage.du(layerId);
}

/**
 * Start-up recovery: index rows whose directory is gone are dropped (a crash after the directory
 * was removed), interrupted deletions (`.tmp-gc-*`) and stale unfinished copies are removed.
 * Unindexed layer directories are left to the first GC run, which asks env-manager first.
 */
export async function recoverFromCrash(
  d: GcDeps,
): Promise<{ droppedRows: number; removedDirs: number }> {
  const missing = [];
  for (const row of d.store.all()) {
    if (!(await d.storage.exists(row.layer_id))) missing.push(row);
  }
  d.store.removeRows(missing);
  let removedDirs = 0;
  for (const e of await d.storage.list()) {
    const mtime = e.unfinished && !e.ours ? await d.storage.mtimeMs(e.name) : null;
    if (e.ours || (mtime !== null && d.now() - mtime >= d.leftoverGraceMs)) {
      await d.storage.remove(e.name);
      removedDirs++;
    }
  }
  return { droppedRows: missing.length, removedDirs };
}
