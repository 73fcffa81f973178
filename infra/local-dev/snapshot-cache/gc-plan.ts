// Which indexed layers a GC run deletes: a pure function of the rows, the layers in use, the clock
// and the byte budget. Expired layers go first; then least-recently-used ones until the indexed bytes
// fit the budget. A layer in use is never chosen, nor (for LRU) one used within `recentUseGraceMs`,
// which covers a lookup whose instance env-manager has not created yet.
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

export function planGc(input: GcPlanInput): GcPlan {
  const { rows, inUse, now, byteBudget, recentUseGraceMs } = input;
  const expired: LayerRow[] = [];
  const lru: LayerRow[] = [];
  const kept = new Set<string>();
  const remaining: LayerRow[] = [];

  for (const row of rows) {
    if (expiresAt(row) <= now) {
      if (inUse.has(row.layer_id)) kept.add(row.layer_id);
      else {
        expired.push(row);
        continue;
      }
    }
    remaining.push(row);
  }

  let total = remaining.reduce((sum, r) => sum + r.size_bytes, 0);
  const byAge = [...remaining].sort(
    (a, b) =>
      a.last_used_at - b.last_used_at ||
      a.created_at - b.created_at ||
      a.tail_hash.localeCompare(b.tail_hash),
  );
  for (const row of byAge) {
    if (total <= byteBudget) break;
    if (inUse.has(row.layer_id)) {
      kept.add(row.layer_id);
      continue;
    }
    if (row.last_used_at > now - recentUseGraceMs) continue;
    lru.push(row);
    total -= row.size_bytes;
  }

  return { expired, lru, keptInUse: [...kept].sort(), totalBytesAfter: total };
}
