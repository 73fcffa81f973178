// The run's admission check after a grant at enqueue: a job granted a slot when it entered the
// queue starts without asking the queue again while well inside that lease (one Durable Object
// round trip less on a warm hit); later, or when it had to wait, it asks as before. The job's slot
// lives in a real Durable Object's SQLite; the pool is a stand-in that counts the calls.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { JobAdmission } from "../../src/admission/job-admission.ts";
import { SLOT_SCHEMA } from "../../src/admission/job-slot.ts";
import type { Place } from "../../src/admission/queue.ts";
import type { JobStore } from "../../src/jobs/job-store.ts";

const LEASE_MS = 30_000;

function place(granted: boolean): Place {
  return {
    granted,
    lease_ms: LEASE_MS,
    position: granted ? null : 1,
    queued: granted ? 0 : 1,
    running: 1,
    max_running: 1,
    user_running: 0,
    user_max_running: 1,
  };
}

/** A JobAdmission whose pool grants at enqueue or not (`grantAtEnqueue`) and counts acquires. */
async function withAdmission(
  grantAtEnqueue: boolean,
  fn: (a: JobAdmission, acquires: () => number) => Promise<void>,
): Promise<void> {
  let acquires = 0;
  const pool = {
    enqueue: async () => ({ ok: true, place: place(grantAtEnqueue) }),
    acquire: async () => {
      acquires++;
      return place(true);
    },
  };
  const fakeEnv = {
    ...env,
    ADMISSION: { idFromName: (n: string) => n, get: () => pool },
  } as unknown as Env;
  const stub = env.ADMISSION.get(env.ADMISSION.idFromName(crypto.randomUUID()));
  await runInDurableObject(stub, async (_obj, state) => {
    state.storage.sql.exec(SLOT_SCHEMA);
    const store = { sql: state.storage.sql } as unknown as JobStore;
    await fn(new JobAdmission(fakeEnv, store, () => {}), () => acquires);
  });
}

describe("admission gate after enqueue", () => {
  it("a job granted at enqueue runs without asking the queue again", async () => {
    await withAdmission(true, async (a, acquires) => {
      await a.enter("j1", "u1", "free", 60_000);
      const gate = await a.gate();
      expect(gate).toMatchObject({ kind: "run", leaseMs: LEASE_MS });
      expect(acquires()).toBe(0);
    });
  });

  it("asks again once half the lease has passed since the grant", async () => {
    await withAdmission(true, async (a, acquires) => {
      await a.enter("j1", "u1", "free", 60_000);
      const gate = await a.gate(Date.now() + LEASE_MS / 2 + 1);
      expect(gate.kind).toBe("run");
      expect(acquires()).toBe(1);
    });
  });

  it("a job that had to wait asks the queue at run start", async () => {
    await withAdmission(false, async (a, acquires) => {
      await a.enter("j1", "u1", "free", 60_000);
      const gate = await a.gate();
      expect(gate.kind).toBe("run");
      expect(acquires()).toBe(1);
    });
  });
});
