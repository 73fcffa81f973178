// A pool boot that fails is tried again after a back-off instead of leaving its source unrefilled
// for good (a transient failure once stopped a CI run's refill). The boot function is a fake: it
// is the only way to make a boot fail on cue; the instances it returns stand in for ready ones.
import { describe, expect, it } from "vitest";
import type { Instance } from "../../../infra/local-dev/env-manager/instance.ts";
import { WarmPool } from "../../../infra/local-dev/env-manager/pool.ts";

const cfg = {
  perSource: 1,
  recentSources: 2,
  maxTotal: 2,
  memoryBudgetBytes: 1 << 30,
  instanceBytes: 48 << 20,
  prewarmBase: false,
  refillDelayMs: 0,
};

function readyInstance(): Instance {
  return { status: "ready", onDeath: () => {}, destroy: async () => {} } as unknown as Instance;
}

async function until(cond: () => boolean): Promise<void> {
  const end = Date.now() + 20_000;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met");
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("pool boot failures", () => {
  it("refills a source after two failed boots in a row", async () => {
    let calls = 0;
    const pool = new WarmPool(cfg, async () => {
      calls++;
      if (calls <= 2) throw new Error("boot failed");
      return readyInstance();
    });
    pool.prefer("base:18");
    await until(() => pool.size() === 1);
    expect(calls).toBe(3);
    expect(pool.take("base:18")).not.toBeNull();
    await pool.close();
  });

  it("gives a source up after five failures in a row, until it is asked for again", async () => {
    let calls = 0;
    const pool = new WarmPool(cfg, async () => {
      calls++;
      throw new Error("boot failed");
    });
    pool.prefer("base:18");
    await until(() => calls === 5);
    await pool.settled();
    await new Promise((r) => setTimeout(r, 300));
    expect(calls).toBe(5);
    pool.prefer("base:18");
    await until(() => calls === 6);
    await pool.close();
  });

  it("tells why a boot failed", async () => {
    const seen: string[] = [];
    let calls = 0;
    const pool = new WarmPool(
      cfg,
      async () => {
        calls++;
        if (calls === 1) throw new Error("port taken");
        return readyInstance();
      },
      (key, err) => seen.push(`${key}: ${(err as Error).message}`),
    );
    pool.prefer("base:18");
    await until(() => pool.size() === 1);
    expect(seen).toEqual(["base:18: port taken"]);
    await pool.close();
  });
});
