// planGc, the pure core of GC: what it chooses for given rows, layers in use, clock and budget.
import { describe, expect, it } from "vitest";
import { planGc } from "../../../infra/local-dev/snapshot-cache/gc-plan.ts";
import type { LayerRow } from "../../../infra/local-dev/snapshot-cache/index-store.ts";

const row = (
  tail: string,
  layer: string,
  lastUsed: number,
  size = 100,
  ttl = 1_000_000,
): LayerRow => ({
  tail_hash: tail.padEnd(64, "0"),
  layer_id: layer,
  parent_hash: null,
  engine: "postgres-18.4",
  settings_digest: "s",
  size_bytes: size,
  new_bytes: null,
  ttl_seconds: ttl,
  created_at: 0,
  last_used_at: lastUsed,
});
const base = { inUse: new Set<string>(), now: 10_000_000, byteBudget: 1e12, recentUseGraceMs: 0 };

describe("planGc", () => {
  it("expires exactly at last_used_at + ttl", () => {
    const rows = [
      row("a", "A", 10_000_000 - 60_000, 100, 60),
      row("b", "B", 10_000_000 - 59_999, 100, 60),
    ];
    const plan = planGc({ ...base, rows });
    expect(plan.expired.map((r) => r.layer_id)).toEqual(["A"]);
  });

  it("counts a layer serving two hashes once and evicts it whole, by its latest use", () => {
    const rows = [
      row("a1", "A", 1000),
      row("a2", "A", 5000),
      row("b", "B", 3000),
      row("c", "C", 4000),
    ];
    const plan = planGc({ ...base, rows, byteBudget: 200 });
    // Bytes: A 100 (once) + B + C = 300 > 200; B is the least recently used layer.
    expect(plan.lru.map((r) => r.layer_id)).toEqual(["B"]);
    expect(plan.totalBytesAfter).toBe(200);
    const tight = planGc({ ...base, rows, byteBudget: 0 });
    expect(tight.lru.map((r) => r.layer_id)).toEqual(["B", "C", "A", "A"]);
  });

  it("skips layers in use and keeps evicting the next ones", () => {
    const rows = [row("a", "A", 1000), row("b", "B", 2000), row("c", "C", 3000)];
    const plan = planGc({ ...base, rows, byteBudget: 100, inUse: new Set(["A"]) });
    expect(plan.lru.map((r) => r.layer_id)).toEqual(["B", "C"]);
    expect(plan.keptInUse).toEqual(["A"]);
    expect(plan.totalBytesAfter).toBe(100);
  });

  it("never evicts a layer used within the recent-use grace, even over budget", () => {
    const rows = [row("a", "A", base.now - 10)];
    const plan = planGc({ ...base, rows, byteBudget: 0, recentUseGraceMs: 1000 });
    expect(plan.lru).toEqual([]);
    expect(plan.totalBytesAfter).toBe(100);
  });

  it("keeps an expired layer in use and counts its bytes", () => {
    const rows = [row("a", "A", 0, 100, 1), row("b", "B", 0, 100, 1)];
    const plan = planGc({ ...base, rows, inUse: new Set(["A"]) });
    expect(plan.expired.map((r) => r.layer_id)).toEqual(["B"]);
    expect(plan.keptInUse).toEqual(["A"]);
    expect(plan.totalBytesAfter).toBe(100);
  });
});
