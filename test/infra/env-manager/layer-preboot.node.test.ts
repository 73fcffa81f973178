// The pool pre-boots only an instance's latest layer, after the instance took no snapshot for the
// delay: the per-step layers of a job do not each become a pool source.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LatestLayerPreboot } from "../../../infra/local-dev/env-manager/layer-preboot.ts";

function preboot() {
  const preferred: string[] = [];
  const p = new LatestLayerPreboot({ prefer: (k) => preferred.push(k), delayMs: 3_000 });
  return { p, preferred };
}

describe("latest-layer pre-boot", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("pre-boots a layer once its instance was quiet for the delay", () => {
    const { p, preferred } = preboot();
    p.snapshotStarted("i-1");
    p.stored("i-1", "a");
    vi.advanceTimersByTime(2_999);
    expect(preferred).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(preferred).toEqual(["layer:a"]);
  });

  it("skips the layers a later snapshot of the same instance supersedes", () => {
    const { p, preferred } = preboot();
    for (const layer of ["s1", "s2", "s3"]) {
      p.snapshotStarted("i-1");
      vi.advanceTimersByTime(1_000);
      p.stored("i-1", layer);
      vi.advanceTimersByTime(1_000);
    }
    vi.advanceTimersByTime(10_000);
    expect(preferred).toEqual(["layer:s3"]);
  });

  it("keeps the instances of different jobs apart", () => {
    const { p, preferred } = preboot();
    p.stored("i-1", "a");
    p.stored("i-2", "b");
    p.snapshotStarted("i-1");
    vi.advanceTimersByTime(3_000);
    expect(preferred).toEqual(["layer:b"]);
    p.close();
  });
});
