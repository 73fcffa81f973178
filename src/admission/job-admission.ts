// What a job does with admission: enter the queue when it first asks to run (or be refused with
// `429 too_many_jobs`), wait in `pending` via its alarm until granted or past `timeout_ms`, renew
// its slot while it runs, and give it back when it ends. The AdmissionObject is reached through
// the `ADMISSION` binding; the job's own record of it is a JobSlot in the job's storage.
import { AppError } from "../errors.ts";
import { finishJob } from "../jobs/finish.ts";
import type { JobStore } from "../jobs/job-store.ts";
import type { Emit, QueuePlace } from "../jobs/model.ts";
import { isTerminal } from "../jobs/state-machine.ts";
import { queueCap, resolvePlan } from "../lifecycle/plans.ts";
import { DEFAULT_POOL } from "./config.ts";
import { JobSlot } from "./job-slot.ts";
import type { Place, Ticket } from "./queue.ts";

/** How often a waiting job looks again when nobody woke it (at most a third of the lease). */
export const POLL_MS = 5000;

export type Gate =
  /** No admission record (a job from before admission): runs as before. */
  | { kind: "ungated" }
  | { kind: "run"; since: number; leaseMs: number }
  | { kind: "wait"; until: number }
  | { kind: "timed_out" };

/** Who asks to run, under which plan and pool: what `enter` needs. */
export interface Entry {
  jobId: string;
  userId: string;
  planName: string;
  timeoutMs: number;
  pool?: string | undefined;
}

export class JobAdmission {
  readonly slot: JobSlot;
  readonly env: Env;
  readonly store: JobStore;
  readonly emit: Emit;

  constructor(env: Env, store: JobStore, emit: Emit) {
    this.env = env;
    this.store = store;
    this.emit = emit;
    this.slot = new JobSlot(store.sql);
  }

  #pool(name: string) {
    return this.env.ADMISSION.get(this.env.ADMISSION.idFromName(name));
  }

  /**
   * The job asks to run: it enters the queue of `pool`, or the create/run is refused with 429
   * naming the cap that was crossed. A job already in the queue is left where it is.
   */
  async enter(
    jobId: string,
    userId: string,
    planName: string,
    timeoutMs: number,
    pool = DEFAULT_POOL,
  ): Promise<void> {
    if (this.slot.get()) return;
    const { limits } = resolvePlan(planName, this.env.PLANS);
    const now = Date.now();
    const ticket: Ticket = {
      jobId,
      userId,
      userRunningCap: limits.max_concurrent_jobs,
      userQueueCap: queueCap(limits),
      deadline: now + timeoutMs,
    };
    const answer = await this.#pool(pool).enqueue(ticket);
    if (!answer.ok) {
      throw new AppError(429, "too_many_jobs", answer.message, {
        limit_name: answer.limit_name,
        limit: answer.limit,
        retry_after_s: answer.retry_after_s,
      });
    }
    this.slot.record(pool, ticket, now, answer.place.granted, answer.place.lease_ms);
  }

  /** The create or run that entered failed after all: its place is given back. */
  async abandon(): Promise<void> {
    await this.release();
  }

  /**
   * A create or run: enters the queue first when `entry` is given (a full queue refuses before
   * `work` stores anything), then does `work`; if it fails before the job took the place
   * (`holds()` is false), the place is given back.
   */
  async enterFor<T>(entry: Entry | null, work: () => Promise<T>, holds: () => boolean): Promise<T> {
    if (entry)
      await this.enter(entry.jobId, entry.userId, entry.planName, entry.timeoutMs, entry.pool);
    try {
      return await work();
    } catch (err) {
      if (entry && !holds()) await this.abandon();
      throw err;
    }
  }

  /**
   * The alarm's admission step: runs `execute` once the job may (`since`: when it asked to run,
   * for a gated job), renewing its slot's lease meanwhile. Answers when to look again if the job
   * must wait for a slot; null once it ran or timed out in the queue.
   */
  async whenAdmitted(
    execute: (since: number | undefined) => Promise<void>,
  ): Promise<{ waitUntil: number } | null> {
    const gate = await this.gate();
    if (gate.kind === "wait") return { waitUntil: gate.until };
    if (gate.kind === "timed_out") return null;
    const stopRenewing = gate.kind === "run" ? this.renewWhileRunning(gate.leaseMs) : () => {};
    try {
      await execute(gate.kind === "run" ? gate.since : undefined);
    } finally {
      stopRenewing();
    }
    return null;
  }

  /** After a run: a job that ended gives its slot back (one still running or continuing keeps it). */
  async releaseIfEnded(): Promise<void> {
    if (isTerminal(this.store.job()?.status ?? "completed")) await this.release();
  }

  /** From the alarm, before the run: may the job run now, or when does it look again? */
  async gate(now = Date.now()): Promise<Gate> {
    const rec = this.slot.get();
    if (!rec) return { kind: "ungated" };
    if (!rec.granted && now >= rec.ticket.deadline) {
      const place = await this.#pool(rec.pool).place(rec.ticket);
      await this.release();
      finishJob(this.store, this.emit, "failed", {
        code: "timeout",
        message: `the job waited ${now - rec.askedAt} ms for a free slot and its timeout_ms (${rec.ticket.deadline - rec.askedAt} ms) passed before one came free (${place.running} of ${place.max_running} slots in use, ${place.user_running} of this user's ${place.user_max_running}); it never ran`,
      });
      return { kind: "timed_out" };
    }
    // Granted at enqueue (a warm hit on a free pool) and well inside that lease: the slot is still
    // this job's, so the run starts without asking the queue again (one Durable Object round trip
    // less); renewWhileRunning keeps the lease from here on. Later alarms ask as before.
    if (rec.granted && now - rec.askedAt < rec.leaseMs / 2) {
      return { kind: "run", since: rec.askedAt, leaseMs: rec.leaseMs };
    }
    const place = await this.#pool(rec.pool).acquire(rec.ticket);
    if (place.granted !== rec.granted) {
      this.slot.setGranted(place.granted);
      if (place.granted) {
        this.emit("log", { message: "admitted: a slot is free, the job starts" });
      } else {
        this.emit("log", {
          message: `waiting for a free slot: position ${place.position} of ${place.queued} (${place.running} of ${place.max_running} slots in use, ${place.user_running} of this user's ${place.user_max_running})`,
        });
      }
    }
    if (place.granted) return { kind: "run", since: rec.askedAt, leaseMs: place.lease_ms };
    const poll = Math.min(POLL_MS, Math.max(100, Math.floor(place.lease_ms / 3)));
    return { kind: "wait", until: Math.min(rec.ticket.deadline, now + poll) };
  }

  /** Keeps the slot's lease alive while the run goes on; call the answer to stop. */
  renewWhileRunning(leaseMs: number): () => void {
    const rec = this.slot.get();
    if (!rec) return () => {};
    const timer = setInterval(
      () => {
        void this.#pool(rec.pool)
          .acquire(rec.ticket)
          .catch(() => {});
      },
      Math.max(100, Math.floor(leaseMs / 3)),
    );
    return () => clearInterval(timer);
  }

  /** The job's place while it waits (the view's `queue`), null once granted or without one. */
  async place(): Promise<QueuePlace | null> {
    const rec = this.slot.get();
    if (!rec || rec.granted) return null;
    const p: Place = await this.#pool(rec.pool).place(rec.ticket);
    if (p.granted) return null;
    const { granted: _g, lease_ms: _l, ...view } = p;
    return view;
  }

  /** The job ended (or never will run): its slot or place goes to the next job. */
  async release(): Promise<void> {
    const rec = this.slot.get();
    if (!rec) return;
    this.slot.clear();
    try {
      await this.#pool(rec.pool).release(rec.ticket.jobId);
    } catch {
      // The queue drops the entry when its lease runs out: the slot comes back all the same.
    }
  }
}
