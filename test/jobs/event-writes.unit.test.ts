// Events and result rows reach a job's SQLite in batches (src/jobs/batched-insert.ts): each
// `sql.exec` costs workerd native memory until a later GC, so a head's 5,000 stored NOTICEs or a
// 60,000-row set written one statement per row took tens of MB of the isolate. Checked here: how
// many statements a burst takes, that nothing is lost or reordered (a row too large to batch goes
// on its own, in its place), that a turn's events are written when the turn ends, and that
// subscribers hear of an event only once it is stored.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { JobStore } from "../../src/jobs/job-store.ts";
import type { JobEvent } from "../../src/jobs/model.ts";
import type { JobObject } from "../../src/objects/job-object.ts";

/** Runs `fn` on a fresh JobObject's storage, through a store whose statements are counted. */
async function onStorage<T>(fn: (store: JobStore, statements: () => number) => T): Promise<T> {
  const stub: DurableObjectStub<JobObject> = env.JOBS.get(env.JOBS.newUniqueId());
  return runInDurableObject(stub, (_obj, state) => {
    let n = 0;
    const inner = state.storage.sql;
    const counted = new Proxy(inner, {
      get(target, prop) {
        if (prop === "exec") {
          return (query: string, ...bindings: unknown[]) => {
            n++;
            return target.exec(query, ...bindings);
          };
        }
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    return fn(new JobStore(counted), () => n);
  });
}

describe("batched event writes", () => {
  it("writes 5,000 events of one turn with a few statements, all of them, in order", async () => {
    const { statements, events } = await onStorage((store, statements) => {
      const before = statements();
      for (let i = 1; i <= 5_000; i++)
        store.addEvent("log", { level: "notice", message: `n ${i}` });
      store.flushEvents();
      const used = statements() - before;
      return { statements: used, events: store.events(0, 10_000) };
    });
    // One statement to learn the last seq, then batches of 256 Ki characters (~60 B per event).
    expect(statements).toBeLessThanOrEqual(4);
    expect(events).toHaveLength(5_000);
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 5_000 }, (_, i) => i + 1));
    expect(events.at(-1)?.data).toEqual({ level: "notice", message: "n 5000" });
  });

  it("writes an event too large to batch on its own, in its place", async () => {
    const big = "x".repeat(100_000);
    const messages = await onStorage((store) => {
      store.addEvent("log", { message: "before" });
      store.addEvent("log", { message: big });
      store.addEvent("log", { message: "after" });
      return store.events(0, 10).map((e) => e.data.message);
    });
    expect(messages).toEqual(["before", big, "after"]);
  });

  it("writes a turn's events when the turn ends, then tells the subscribers", async () => {
    const seen = await onStorage(async (store) => {
      const heard: { seqs: number[]; storedThen: number }[] = [];
      store.onEventsStored = (events: JobEvent[]) => {
        const stored = store.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM events").one().n;
        heard.push({ seqs: events.map((e) => e.seq), storedThen: Number(stored) });
      };
      store.addEvent("log", { message: "one" });
      store.addEvent("log", { message: "two" });
      const beforeTurnEnd = heard.length;
      await Promise.resolve();
      return { beforeTurnEnd, heard };
    });
    expect(seen.beforeTurnEnd).toBe(0);
    expect(seen.heard).toEqual([{ seqs: [1, 2], storedThen: 2 }]);
  });

  it("continues the numbering of events an earlier object stored", async () => {
    const seqs = await onStorage((store, _n) => {
      store.addEvent("status", { status: "queued" });
      store.flushEvents();
      const again = new JobStore(store.sql);
      const e = again.addEvent("log", { message: "resumed" });
      return [again.lastSeq(), e.seq];
    });
    expect(seqs).toEqual([2, 2]);
  });
});

describe("batched result rows", () => {
  it("stores 60,000 rows with a few statements and reads every one back", async () => {
    const rows = Array.from({ length: 60_000 }, (_, i) => [
      String(i),
      i % 7 === 0 ? null : `r${i}`,
    ]);
    const { statements, back } = await onStorage((store, statements) => {
      const before = statements();
      store.putResultRows(0, 0, rows);
      const used = statements() - before;
      return { statements: used, back: [...store.resultRows(0, 0, 100_000)] };
    });
    expect(statements).toBeLessThanOrEqual(12);
    expect(back).toEqual(rows);
  });

  it("keeps a row of several chunks whole among small ones", async () => {
    const huge = "y".repeat(600_000);
    const rows = [["a"], [huge], ["b"]];
    const back = await onStorage((store) => {
      store.putResultRows(3, 0, rows);
      return [...store.resultRows(3, 0, 10)];
    });
    expect(back).toEqual(rows);
  });
});
