// Whom the admission object wakes: a job that ends wakes only the jobs its slot was handed to, not
// every job still running (each wake is a Durable Object call, and a pool of 50 running jobs made
// ~49 of them per job end). The pool is a real AdmissionObject; only its JOBS binding is a spy
// that records which job objects it was asked for.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Ticket } from "../../src/admission/queue.ts";
import type { AdmissionObject } from "../../src/objects/admission-object.ts";
import { newPool, poolStub } from "./helpers.ts";

function ticket(jobId: string): Ticket {
  return {
    jobId,
    userId: `user-${jobId}`,
    userRunningCap: 5,
    userQueueCap: 5,
    deadline: Date.now() + 60_000,
  };
}

/** Runs `fn` inside the pool's object with a JOBS binding that records every job it wakes. */
async function wakesDuring(pool: string, fn: (obj: AdmissionObject) => Promise<unknown>) {
  const woken: string[] = [];
  await runInDurableObject(poolStub(pool), async (obj: AdmissionObject) => {
    const holder = obj as unknown as { env: Env };
    const real = holder.env;
    const jobs = {
      idFromName: (name: string) => {
        woken.push(name);
        return real.JOBS.idFromName(name);
      },
      // The wake's target: an object that takes the call and does nothing.
      get: () => ({ admitted: async () => {} }),
    };
    holder.env = { ...real, JOBS: jobs as unknown as Env["JOBS"] };
    try {
      await fn(obj);
    } finally {
      holder.env = real;
    }
  });
  return woken;
}

describe("admission wake-ups", () => {
  it("a release wakes the job given the freed slot and none of the jobs still running", async () => {
    const pool = await newPool({ maxRunning: 2, maxQueued: 10 });
    const stub = poolStub(pool);
    for (const id of ["a", "b", "c"]) await stub.enqueue(ticket(id));
    expect((await stub.place(ticket("c"))).granted).toBe(false);

    // a ends: its slot goes to c; b runs on and is not disturbed.
    expect(await wakesDuring(pool, (obj) => obj.release("a"))).toEqual(["c"]);
    expect((await stub.place(ticket("c"))).granted).toBe(true);
    // b ends with nobody waiting: nobody to wake.
    expect(await wakesDuring(pool, (obj) => obj.release("b"))).toEqual([]);
  });
});
