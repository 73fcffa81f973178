// The isolate's caches share one byte budget: filling one evicts the least recently used entries
// of any of them, never past the budget; an entry over a quarter of it is not kept at all.
import { describe, expect, it } from "vitest";
import {
  ISOLATE_CACHE_BYTES,
  IsolateCache,
  isolateCacheBytes,
  stringBytes,
} from "../../src/limits/isolate-cache.ts";

const MiB = 1024 * 1024;

describe("IsolateCache", () => {
  it("counts Latin-1 strings at one byte a character, others at two", () => {
    expect(stringBytes("abc\u00e9")).toBe(4);
    expect(stringBytes("ab\u20ac")).toBe(6);
  });

  it("keeps every cache together under one budget, evicting the least recently used first", () => {
    const a = new IsolateCache<string, string>((_k, v) => stringBytes(v));
    const b = new IsolateCache<string, string>((_k, v) => stringBytes(v));
    const chunk = "x".repeat(8 * MiB);
    a.set("a0", chunk);
    b.set("b0", chunk);
    a.get("a0"); // a0 is now more recent than b0
    for (let i = 1; i <= 6; i++) (i % 2 ? a : b).set(`k${i}`, `${i}${chunk}`);
    expect(isolateCacheBytes()).toBeLessThanOrEqual(ISOLATE_CACHE_BYTES);
    expect(b.get("b0")).toBeUndefined();
    expect(a.get("a0")).toBeUndefined(); // older than the six after it, so gone too
    expect(a.get("k5")).toBeDefined();
    expect(b.get("k6")).toBeDefined();
    expect(a.size + b.size).toBe(Math.floor(ISOLATE_CACHE_BYTES / (8 * MiB + 1)));
  });

  it("does not keep an entry bigger than a quarter of the budget", () => {
    const c = new IsolateCache<string, string>((_k, v) => stringBytes(v));
    c.set("big", "y".repeat(ISOLATE_CACHE_BYTES / 4 + 1));
    expect(c.get("big")).toBeUndefined();
    c.set("ok", "y".repeat(ISOLATE_CACHE_BYTES / 4));
    expect(c.get("ok")).toBeDefined();
    c.delete("ok");
    expect(c.size).toBe(0);
  });
});
