// Which index entries a GC run deletes: a pure function of the rows, the layers in use, the clock
// and the byte budget. Expired entries go first (each tail hash has its own ttl); then whole layers,
// least recently used first, until the layer bytes fit the budget. A layer id may serve several
// tail hashes (identical content), so bytes are counted once per layer id. A layer in use is never
// chosen, nor (for LRU) one used within `recentUseGraceMs`, which covers a lookup whose instance
// env-manager has not created yet. A pinned layer (an extended job's) is neither expired before its
// pin ends nor chosen for LRU while pinned.
import { expiresAt, type LayerRow } from "./index-store.ts";

export type GcPlanInput = {
  rows: readonly LayerRow[];
  inUse: ReadonlySet<string>;
  now: number;
  byteBudget: number;
  recentUseGraceMs: number;
};

export type GcPlan = {
  expired: LayerRow[];
  lru: LayerRow[];
  /** Layer ids GC would have deleted but are in use. */
  keptInUse: string[];
  totalBytesAfter: number;
};

type Group = { layerId: string; rows: LayerRow[]; size: number; lastUsed: number; created: number };

export function planGc(input: GcPlanInput): GcPlan {
  const { rows, inUse, now, byteBudget, recentUseGraceMs } = input;
  const expired: LayerRow[] = [];
  const lru: LayerRow[] = [];
  const kept = new Set<string>();
  const groups = new Map<string, Group>();

  for (const row of rows) {
    if (expiresAt(row) <= now) {
      if (inUse.has(row.layer_id)) kept.add(row.layer_id);
      else {
        expired.push(row);
        continue;
      }
    }
    const g = groups.get(row.layer_id) ?? {
      layerId: row.layer_id,
      rows: [],
      size: 0,
      lastUsed: 0,
      created: row.created_at,
    };
    g.rows.push(row);
    g.size = Math.max(g.size, row.new_bytes ?? row.size_bytes);
    g.lastUsed = Math.max(g.lastUsed, row.last_used_at);
    g.created = Math.min(g.created, row.created_at);
    groups.set(row.layer_id, g);
  }

  let total = 0;
  for (const g of groups.values()) total += g.size;
  const byAge = [...groups.values()].sort(
    (a, b) =>
      a.lastUsed - b.lastUsed || a.created - b.created || a.layerId.localeCompare(b.layerId),
  );
  for (const g of byAge) {
    if (total <= byteBudget) break;
    if (inUse.has(g.layerId)) {
      kept.add(g.layerId);
      continue;
    }
    if (g.lastUsed > now - recentUseGraceMs) continue;
    if (g.rows.some((r) => (r.pinned_until ?? 0) > now)) continue;
    lru.push(...g.rows);
    total -= g.size;
  }

  return { expired, lru, keptInUse: [...kept].sort(), totalBytesAfter: total };
}
