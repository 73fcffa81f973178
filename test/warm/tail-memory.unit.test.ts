// The isolate's memory of whole tails: recall what a lookup answered, forget on a null answer or
// when asked, and stay within its bound (the least recently used entries leave first).
import { describe, expect, it } from "vitest";
import {
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
});
