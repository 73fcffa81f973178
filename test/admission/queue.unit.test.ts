// The admission queue's rules on a real Durable Object's SQLite, with the clock passed in: the
// fair order across users, the per-user cap, the queue caps, and leases that run out.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { AdmissionQueue, type Ticket } from "../../src/admission/queue.ts";

const LIMITS = { maxRunning: 2, maxQueued: 4, leaseMs: 1000 };

async function withQueue<T>(fn: (q: AdmissionQueue) => T): Promise<T> {
  const stub = env.ADMISSION.get(env.ADMISSION.idFromName(crypto.randomUUID()));
  return runInDurableObject(stub, (_obj, state) =>
    fn(new AdmissionQueue(state.storage.sql, LIMITS)),
  );
}

function ticket(jobId: string, userId: string, over: Partial<Ticket> = {}): Ticket {
  return { jobId, userId, userRunningCap: 2, userQueueCap: 3, deadline: 1_000_000, ...over };
}

describe("admission queue", () => {
  it("grants free slots at once, then queues in a fair order across users", async () => {
    await withQueue((q) => {
      expect(q.enqueue(ticket("a1", "a"), 0)).toMatchObject({ ok: true, place: { granted: true } });
      expect(q.enqueue(ticket("a2", "a"), 1)).toMatchObject({ ok: true, place: { granted: true } });
      q.enqueue(ticket("a3", "a"), 2);
      q.enqueue(ticket("a4", "a"), 3);
      q.enqueue(ticket("b1", "b"), 4);
      // b has nothing running, so b1 is first although it came last.
      expect(q.place(ticket("b1", "b")).position).toBe(1);
      expect(q.place(ticket("a3", "a")).position).toBe(2);
      expect(q.place(ticket("a4", "a")).position).toBe(3);
      expect(q.release("a1", 5)).toEqual(["b1"]);
      expect(q.release("a2", 6)).toEqual(["a3"]);
      expect(q.place(ticket("a4", "a"))).toMatchObject({ granted: false, position: 1, running: 2 });
    });
  });

  it("skips a user at their cap while the pool has room for others", async () => {
    await withQueue((q) => {
      q.enqueue(ticket("a1", "a", { userRunningCap: 1 }), 0);
      const a2 = q.enqueue(ticket("a2", "a", { userRunningCap: 1 }), 1);
      expect(a2).toMatchObject({ ok: true, place: { granted: false, user_running: 1 } });
      expect(q.enqueue(ticket("b1", "b"), 2)).toMatchObject({ place: { granted: true } });
    });
  });

  it("refuses at the user's queue cap and at the pool's, naming the cap; a known job is never refused", async () => {
    await withQueue((q) => {
      q.enqueue(ticket("a1", "a"), 0);
      q.enqueue(ticket("a2", "a"), 0);
      for (const id of ["a3", "a4", "a5"]) expect(q.enqueue(ticket(id, "a"), 1).ok).toBe(true);
      const user = q.enqueue(ticket("a6", "a"), 2);
      expect(user).toMatchObject({ ok: false, limit_name: "max_queued_jobs", limit: 3 });
      expect(q.enqueue(ticket("a5", "a"), 3).ok).toBe(true);
      q.enqueue(ticket("b1", "b"), 4);
      const pool = q.enqueue(ticket("c1", "c"), 5);
      expect(pool).toMatchObject({ ok: false, limit_name: "ADMISSION_MAX_QUEUED", limit: 4 });
      if (!pool.ok) expect(pool.retry_after_s).toBeGreaterThanOrEqual(1);
    });
  });

  it("drops an entry whose lease ran out and gives its slot to the next job", async () => {
    await withQueue((q) => {
      q.enqueue(ticket("a1", "a"), 0);
      q.enqueue(ticket("a2", "a"), 0);
      q.enqueue(ticket("b1", "b"), 0);
      // a2 and b1 keep renewing; a1 stops (its job died).
      q.acquire(ticket("a2", "a"), 800);
      q.acquire(ticket("b1", "b"), 800);
      expect(q.acquire(ticket("b1", "b"), 1500)).toMatchObject({ granted: true });
      expect(q.place(ticket("a1", "a"))).toMatchObject({ granted: false, position: null });
      // A job that lost its entry and comes back enters again, at the back, without the caps.
      expect(q.acquire(ticket("a1", "a"), 1600)).toMatchObject({ granted: false, position: 1 });
    });
  });

  it("drops a queued entry past its deadline", async () => {
    await withQueue((q) => {
      q.enqueue(ticket("a1", "a"), 0);
      q.enqueue(ticket("a2", "a"), 0);
      q.enqueue(ticket("a3", "a", { deadline: 500 }), 0);
      q.acquire(ticket("a1", "a"), 400);
      q.acquire(ticket("a2", "a"), 400);
      expect(q.expire(600)).toBe(1);
      expect(q.place(ticket("a3", "a")).position).toBeNull();
      expect(q.nextExpiry()).toBe(1400);
    });
  });
});
