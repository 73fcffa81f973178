// AdmissionObject: the admission queue (src/admission/queue.ts) as one Durable Object per pool
// (the deployment uses one, "global"). Jobs call it over RPC: `enqueue` when they first ask to
// run (a full queue refuses them, and the create answers 429), `acquire` from their alarm while
// they wait or run, `release` when they end. A job granted a slot is woken at once (its
// `admitted` RPC); its own alarm polling `acquire` is the fallback. The object's alarm drops
// expired leases even when no job calls, so a job that died frees its slot within one lease.
import { DurableObject } from "cloudflare:workers";
import { admissionLimits } from "../admission/config.ts";
import {
  type AdmissionLimits,
  AdmissionQueue,
  type EnqueueAnswer,
  type Place,
  type Ticket,
} from "../admission/queue.ts";
import { describeInternal, logLine } from "../telemetry/log.ts";

export class AdmissionObject extends DurableObject<Env> {
  #queue: AdmissionQueue;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#queue = new AdmissionQueue(ctx.storage.sql, this.#limits());
  }

  async enqueue(t: Ticket): Promise<EnqueueAnswer> {
    const before = this.#granted();
    const out = this.#queue.enqueue(t, Date.now());
    await this.#after(before, t.jobId);
    return out;
  }

  async acquire(t: Ticket): Promise<Place> {
    const before = this.#granted();
    const out = this.#queue.acquire(t, Date.now());
    await this.#after(before, t.jobId);
    return out;
  }

  async release(jobId: string): Promise<void> {
    // Against the slots held before: the jobs still running were not granted anything new.
    const before = this.#granted();
    const granted = this.#queue.release(jobId, Date.now());
    await this.#after(before, null, granted);
  }

  async place(who: Pick<Ticket, "jobId" | "userId" | "userRunningCap">): Promise<Place> {
    return this.#queue.place(who);
  }

  /**
   * Test and operator knob: caps for this pool other than the deployment's vars (kept in storage,
   * so they survive an eviction). `{}` goes back to the vars.
   */
  async configure(limits: Partial<AdmissionLimits>): Promise<AdmissionLimits> {
    this.ctx.storage.sql.exec(
      "INSERT INTO admission_config (id, data) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET data = excluded.data",
      JSON.stringify(limits),
    );
    this.#queue = new AdmissionQueue(this.ctx.storage.sql, this.#limits(limits));
    return this.#queue.limits;
  }

  override async alarm(): Promise<void> {
    const before = this.#granted();
    this.#queue.expire(Date.now());
    this.#queue.grant(Date.now());
    await this.#after(before, null);
  }

  #limits(stored?: Partial<AdmissionLimits>): AdmissionLimits {
    this.ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS admission_config (id INTEGER PRIMARY KEY CHECK (id = 1), data TEXT NOT NULL)",
    );
    const row = this.ctx.storage.sql
      .exec<{ data: string }>("SELECT data FROM admission_config WHERE id = 1")
      .toArray()[0];
    const saved: Partial<AdmissionLimits> = stored ?? (row ? JSON.parse(row.data) : {});
    return { ...admissionLimits(this.env), ...saved };
  }

  #granted(): Set<string> {
    return new Set(
      this.ctx.storage.sql
        .exec<{ job_id: string }>(
          "SELECT job_id FROM admission_entries WHERE granted_at IS NOT NULL",
        )
        .toArray()
        .map((r) => r.job_id),
    );
  }

  /** Wakes the jobs granted since `before` (except the caller, which reads its answer) and
   * arms the alarm at the next lease expiry. */
  async #after(before: Set<string>, caller: string | null, granted: string[] = []): Promise<void> {
    const now = this.#granted();
    const woken = new Set(granted);
    for (const id of now) if (!before.has(id)) woken.add(id);
    woken.delete(caller ?? "");
    for (const id of woken) {
      const job = this.env.JOBS.get(this.env.JOBS.idFromName(id));
      // Not awaited by the caller's answer: a job that is gone simply never renews its lease.
      this.ctx.waitUntil(
        job.admitted().catch((err: unknown) => {
          logLine("warn", "admission_wake_failed", { job_id: id, ...describeInternal(err) });
        }),
      );
    }
    const next = this.#queue.nextExpiry();
    if (next === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(Math.max(next + 1, Date.now() + 100));
  }
}
