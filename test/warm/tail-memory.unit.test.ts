// The isolate's memory of whole tails: recall what a lookup answered, forget on a null answer or
// when asked, and stay within its bounds, its own entry cap and the isolate's one cache budget
// (the least recently used entries leave first).
import { describe, expect, it } from "vitest";
import {
  ISOLATE_CACHE_BYTES,
  IsolateCache,
  isolateCacheBytes,
  stringBytes,
} from "../../src/limits/isolate-cache.ts";
import {
  ENTRY_OVERHEAD_BYTES,
  forgetTail,
  MAX_REMEMBERED_TAILS,
  recallTail,
  rememberedTails,
  rememberTail,
} from "../../src/warm/tail-memory.ts";

describe("tail memory", () => {
  it("recalls a remembered layer and forgets it on a null answer or on request", () => {
    rememberTail("t1", "layer-a");
    expect(recallTail("t1")).toBe("layer-a");
    rememberTail("t1", null);
    expect(recallTail("t1")).toBeNull();
    rememberTail("t2", "layer-b");
    forgetTail("t2");
    expect(recallTail("t2")).toBeNull();
  });

  it("keeps at most MAX_REMEMBERED_TAILS, dropping the least recently used", () => {
    rememberTail("keep", "layer-keep");
    for (let i = 0; i < MAX_REMEMBERED_TAILS - 1; i++) rememberTail(`x${i}`, `l${i}`);
    // Recalling "keep" makes it recent; "x0" is now the oldest.
    expect(recallTail("keep")).toBe("layer-keep");
    rememberTail("new", "layer-new");
    expect(rememberedTails()).toBeLessThanOrEqual(MAX_REMEMBERED_TAILS);
    expect(recallTail("x0")).toBeNull();
    expect(recallTail("keep")).toBe("layer-keep");
    expect(recallTail("new")).toBe("layer-new");
  });

  it("counts in the isolate's cache budget and leaves when other caches need the room", () => {
    const hash = (i: number) => `${"ab".repeat(31)}${String(i).padStart(2, "0")}`;
    // Measured by forgetting (remembering may also evict the oldest entry at the entry cap).
    rememberTail(hash(0), "layer-budget-0");
    const withIt = isolateCacheBytes();
    forgetTail(hash(0));
    expect(withIt - isolateCacheBytes()).toBe(64 + 14 + ENTRY_OVERHEAD_BYTES);
    for (let i = 0; i < 10; i++) rememberTail(hash(i), `layer-budget-${i}`);
    // Content caches fill the whole budget with newer entries: every tail entry is older.
    const contents = new IsolateCache<string, string>((_k, v) => stringBytes(v));
    for (let i = 0; i < 4; i++) contents.set(`c${i}`, `${i}`.repeat(ISOLATE_CACHE_BYTES / 4));
    expect(isolateCacheBytes()).toBeLessThanOrEqual(ISOLATE_CACHE_BYTES);
    for (let i = 0; i < 10; i++) expect(recallTail(hash(i))).toBeNull();
    expect(rememberedTails()).toBe(0);
    for (let i = 0; i < 4; i++) contents.delete(`c${i}`);
    rememberTail(hash(0), "layer-budget-0");
    expect(recallTail(hash(0))).toBe("layer-budget-0");
  });
});
