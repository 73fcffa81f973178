// Pool sizing by demand: a source's target follows its recent take rate times its boot time, within
// the configured minimum and maximum, and falls back to the minimum once the window has passed.
import { describe, expect, it } from "vitest";
import { PoolDemand } from "../../../infra/local-dev/env-manager/pool-demand.ts";

describe("pool demand", () => {
  const cfg = { min: 1, max: 5, windowMs: 10_000 };

  it("keeps the minimum for a source nobody takes from", () => {
    expect(new PoolDemand(cfg).target("layer:a", 0)).toBe(1);
  });

  it("covers the take rate for one boot's time, plus a spare", () => {
    const d = new PoolDemand(cfg);
    d.noteBoot("layer:a", 500);
    // 8 takes in 2 s = 4 per second; a boot takes 0.5 s: 2 in flight, plus one spare.
    for (let i = 0; i < 8; i++) d.record("layer:a", 1_000 + i * 250);
    expect(d.target("layer:a", 3_000)).toBe(3);
    // Another source is sized on its own.
    expect(d.target("layer:b", 3_000)).toBe(1);
  });

  it("is capped at the maximum under a burst", () => {
    const d = new PoolDemand(cfg);
    for (let i = 0; i < 50; i++) d.record("layer:a", 1_000);
    expect(d.target("layer:a", 1_000)).toBe(5);
  });

  it("forgets takes older than the window", () => {
    const d = new PoolDemand(cfg);
    for (let i = 0; i < 50; i++) d.record("layer:a", 1_000);
    expect(d.target("layer:a", 11_001)).toBe(1);
  });

  it("smooths boot times", () => {
    const d = new PoolDemand({ min: 0, max: 100, windowMs: 10_000 });
    for (let i = 0; i < 10; i++) d.record("k", i * 100);
    d.noteBoot("k", 1_000);
    d.noteBoot("k", 11_000);
    // 10 takes over the 1 s floor span = 0.01 per ms; smoothed boot 0.7 * 1000 + 0.3 * 11000 = 4000.
    expect(d.target("k", 900)).toBe(41);
  });

  it("never exceeds max when min is the larger", () => {
    const d = new PoolDemand({ min: 2, max: 2, windowMs: 10_000 });
    for (let i = 0; i < 50; i++) d.record("k", 0);
    expect(d.target("k", 0)).toBe(2);
  });
});
