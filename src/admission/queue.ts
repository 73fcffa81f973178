// The admission queue: which jobs may run now. One store (the AdmissionObject's SQLite) holds
// every job that asked to run, queued or granted, with a lease. A grant is a slot; the caps are a
// global number of slots and, per user, their plan's `max_concurrent_jobs`. Slots go to users in
// a fair order (the user with the fewest running jobs first, then the one granted longest ago),
// so one user's burst waits behind the others instead of starving them. Every entry has a lease
// its job renews (while queued, by polling; while running, by a heartbeat): an entry whose job
// died is dropped when its lease runs out, so no slot leaks.

export interface AdmissionLimits {
  /** Jobs running at once, all users together (`ADMISSION_MAX_RUNNING`). */
  maxRunning: number;
  /** Jobs waiting at once, all users together (`ADMISSION_MAX_QUEUED`). */
  maxQueued: number;
  /** How long an entry lives without its job renewing it (`ADMISSION_LEASE_MS`). */
  leaseMs: number;
}

/** What a job tells the queue about itself when it asks to run. */
export interface Ticket {
  jobId: string;
  userId: string;
  /** The user's plan's `max_concurrent_jobs`. */
  userRunningCap: number;
  /** The user's plan's `max_queued_jobs` (checked only when the job first enters). */
  userQueueCap: number;
  /** When the job stops waiting (its `timeout_ms` after it asked). */
  deadline: number;
}

/** Where a job stands: granted, or its place in the order slots will be handed out. */
export interface Place {
  granted: boolean;
  /** 1 = next to get a slot; null when granted or not in the queue. */
  position: number | null;
  queued: number;
  running: number;
  max_running: number;
  user_running: number;
  user_max_running: number;
  /** The pool's lease: the job renews well within it. */
  lease_ms: number;
}

export type EnqueueAnswer =
  | { ok: true; place: Place }
  | { ok: false; limit_name: string; limit: number; retry_after_s: number; message: string };

interface Entry {
  job_id: string;
  user_id: string;
  user_cap: number;
  seq: number;
  deadline: number;
  lease_until: number;
  granted_at: number | null;
}

export const QUEUE_SCHEMA = `
  CREATE TABLE IF NOT EXISTS admission_entries (
    job_id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    user_cap INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    deadline INTEGER NOT NULL,
    lease_until INTEGER NOT NULL,
    granted_at INTEGER
  );
  CREATE INDEX IF NOT EXISTS admission_by_user ON admission_entries (user_id);
  CREATE TABLE IF NOT EXISTS admission_users (
    user_id TEXT PRIMARY KEY,
    last_granted INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS admission_seq (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL);
`;

/** Seconds a refused create is told to wait: about one turn of the queue, 1 to 60 s. */
const SECONDS_PER_TURN = 2;

export class AdmissionQueue {
  readonly sql: SqlStorage;
  readonly limits: AdmissionLimits;

  constructor(sql: SqlStorage, limits: AdmissionLimits) {
    this.sql = sql;
    this.limits = limits;
    sql.exec(QUEUE_SCHEMA);
  }

  /**
   * A job asks to run for the first time (create, or `run` of a long job). Refused with the limit
   * it crossed when the user's queue or the whole queue is full; a job already known is answered
   * where it stands (a repeated create is not refused).
   */
  enqueue(t: Ticket, now: number): EnqueueAnswer {
    this.expire(now);
    if (!this.#entry(t.jobId)) {
      const queued = this.#count("granted_at IS NULL");
      const userQueued = this.#count("granted_at IS NULL AND user_id = ?", t.userId);
      // A job that would be granted at once does not count against the queue caps.
      const free = this.#freeSlotFor(t.userId, t.userRunningCap);
      if (!free && userQueued >= t.userQueueCap) {
        return this.#refuse(
          "max_queued_jobs",
          t.userQueueCap,
          `${userQueued} jobs of this user already wait to run (the plan's max_queued_jobs is ${t.userQueueCap}); retry later`,
          userQueued,
        );
      }
      if (!free && queued >= this.limits.maxQueued) {
        return this.#refuse(
          "ADMISSION_MAX_QUEUED",
          this.limits.maxQueued,
          `${queued} jobs already wait to run (the service's ADMISSION_MAX_QUEUED is ${this.limits.maxQueued}); retry later`,
          queued,
        );
      }
      this.#insert(t, now);
    }
    return { ok: true, place: this.acquire(t, now) };
  }

  /**
   * The job's poll (queued) or heartbeat (running): renews its lease, hands out free slots, and
   * answers where the job stands. A job the queue lost (its lease ran out while its object was
   * away) enters again at the back, without the queue caps: it was accepted once.
   */
  acquire(t: Ticket, now: number): Place {
    this.expire(now);
    if (!this.#entry(t.jobId)) this.#insert(t, now);
    this.sql.exec(
      "UPDATE admission_entries SET lease_until = ? WHERE job_id = ?",
      now + this.limits.leaseMs,
      t.jobId,
    );
    this.grant(now);
    return this.place(t);
  }

  /** The job ended (or gave up): its slot or place is free. Answers the jobs granted now. */
  release(jobId: string, now: number): string[] {
    this.sql.exec("DELETE FROM admission_entries WHERE job_id = ?", jobId);
    this.expire(now);
    return this.grant(now);
  }

  /** Drops entries whose lease ran out (their job died) and queued ones past their deadline. */
  expire(now: number): number {
    return this.sql
      .exec(
        "DELETE FROM admission_entries WHERE lease_until < ? OR (granted_at IS NULL AND deadline < ?) RETURNING job_id",
        now,
        now,
      )
      .toArray().length;
  }

  /** Hands free slots out in the fair order; answers the job ids granted by this call. */
  grant(now: number): string[] {
    let free = this.limits.maxRunning - this.#count("granted_at IS NOT NULL");
    if (free <= 0) return [];
    const running = this.#runningByUser();
    const out: string[] = [];
    for (const e of this.#fairOrder()) {
      if (free <= 0) break;
      const mine = running.get(e.user_id) ?? 0;
      if (mine >= e.user_cap) continue;
      this.sql.exec(
        "UPDATE admission_entries SET granted_at = ?, lease_until = ? WHERE job_id = ?",
        now,
        now + this.limits.leaseMs,
        e.job_id,
      );
      this.sql.exec(
        "INSERT INTO admission_users (user_id, last_granted) VALUES (?, ?) ON CONFLICT (user_id) DO UPDATE SET last_granted = excluded.last_granted",
        e.user_id,
        this.#nextSeq(),
      );
      running.set(e.user_id, mine + 1);
      free--;
      out.push(e.job_id);
    }
    return out;
  }

  /** Where `who` stands (its user and cap also describe a job the queue no longer holds). */
  place(who: Pick<Ticket, "jobId" | "userId" | "userRunningCap">): Place {
    const jobId = who.jobId;
    const e = this.#entry(jobId);
    const running = this.#count("granted_at IS NOT NULL");
    const user = e?.user_id ?? who.userId;
    const base = {
      queued: this.#count("granted_at IS NULL"),
      running,
      max_running: this.limits.maxRunning,
      user_running: this.#count("granted_at IS NOT NULL AND user_id = ?", user),
      user_max_running: e?.user_cap ?? who.userRunningCap,
      lease_ms: this.limits.leaseMs,
    };
    if (!e) return { granted: false, position: null, ...base };
    if (e.granted_at !== null) return { granted: true, position: null, ...base };
    const index = this.#fairOrder().findIndex((q) => q.job_id === jobId);
    return { granted: false, position: index + 1, ...base };
  }

  /** The earliest time something expires (for the object's alarm), or null when empty. */
  nextExpiry(): number | null {
    const row = this.sql
      .exec<{ t: number | null }>(
        "SELECT MIN(CASE WHEN granted_at IS NULL AND deadline < lease_until THEN deadline ELSE lease_until END) AS t FROM admission_entries",
      )
      .one();
    return row.t === null ? null : Number(row.t);
  }

  /**
   * The queued entries in the order slots go out: repeatedly, the user with the fewest jobs
   * running (counting the ones this order already placed), then the one granted longest ago,
   * then the oldest entry; within a user, first come first served.
   */
  #fairOrder(): Entry[] {
    const queued = this.sql
      .exec<Record<string, SqlStorageValue>>(
        "SELECT * FROM admission_entries WHERE granted_at IS NULL ORDER BY seq",
      )
      .toArray()
      .map(toEntry);
    const perUser = new Map<string, Entry[]>();
    for (const e of queued) {
      const list = perUser.get(e.user_id);
      if (list) list.push(e);
      else perUser.set(e.user_id, [e]);
    }
    const running = this.#runningByUser();
    const last = new Map<string, number>();
    for (const r of this.sql
      .exec<{ user_id: string; last_granted: number }>(
        "SELECT user_id, last_granted FROM admission_users",
      )
      .toArray()) {
      if (perUser.has(r.user_id)) last.set(r.user_id, Number(r.last_granted));
    }
    let counter = this.#peekSeq();
    const out: Entry[] = [];
    while (perUser.size > 0) {
      let best: string | null = null;
      let bestKey: [number, number, number] = [0, 0, 0];
      for (const [user, list] of perUser) {
        const key: [number, number, number] = [
          running.get(user) ?? 0,
          last.get(user) ?? -1,
          list[0]?.seq ?? 0,
        ];
        if (best === null || less(key, bestKey)) {
          best = user;
          bestKey = key;
        }
      }
      if (best === null) break;
      const list = perUser.get(best) as Entry[];
      out.push(list.shift() as Entry);
      if (list.length === 0) perUser.delete(best);
      running.set(best, (running.get(best) ?? 0) + 1);
      last.set(best, ++counter);
    }
    return out;
  }

  #refuse(limitName: string, limit: number, message: string, ahead: number): EnqueueAnswer {
    const turns = Math.ceil((ahead + 1) / Math.max(1, this.limits.maxRunning));
    const retry = Math.min(60, Math.max(1, turns * SECONDS_PER_TURN));
    return { ok: false, limit_name: limitName, limit, retry_after_s: retry, message };
  }

  #freeSlotFor(user: string, cap: number): boolean {
    if (this.#count("granted_at IS NULL") > 0) return false;
    if (this.#count("granted_at IS NOT NULL") >= this.limits.maxRunning) return false;
    return this.#count("granted_at IS NOT NULL AND user_id = ?", user) < cap;
  }

  #insert(t: Ticket, now: number): void {
    this.sql.exec(
      "INSERT INTO admission_entries (job_id, user_id, user_cap, seq, deadline, lease_until) VALUES (?, ?, ?, ?, ?, ?)",
      t.jobId,
      t.userId,
      t.userRunningCap,
      this.#nextSeq(),
      t.deadline,
      now + this.limits.leaseMs,
    );
  }

  #entry(jobId: string): Entry | null {
    const rows = this.sql
      .exec<Record<string, SqlStorageValue>>(
        "SELECT * FROM admission_entries WHERE job_id = ?",
        jobId,
      )
      .toArray();
    return rows[0] ? toEntry(rows[0]) : null;
  }

  #count(where: string, ...args: SqlStorageValue[]): number {
    return Number(
      this.sql
        .exec<{ n: number }>(`SELECT COUNT(*) AS n FROM admission_entries WHERE ${where}`, ...args)
        .one().n,
    );
  }

  #runningByUser(): Map<string, number> {
    const out = new Map<string, number>();
    for (const r of this.sql
      .exec<{ user_id: string; n: number }>(
        "SELECT user_id, COUNT(*) AS n FROM admission_entries WHERE granted_at IS NOT NULL GROUP BY user_id",
      )
      .toArray()) {
      out.set(r.user_id, Number(r.n));
    }
    return out;
  }

  #peekSeq(): number {
    const rows = this.sql.exec<{ n: number }>("SELECT n FROM admission_seq WHERE id = 1").toArray();
    return rows[0] ? Number(rows[0].n) : 0;
  }

  #nextSeq(): number {
    const n = this.#peekSeq() + 1;
    this.sql.exec(
      "INSERT INTO admission_seq (id, n) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET n = excluded.n",
      n,
    );
    return n;
  }
}

function less(a: [number, number, number], b: [number, number, number]): boolean {
  for (let i = 0; i < 3; i++) {
    if ((a[i] as number) !== (b[i] as number)) return (a[i] as number) < (b[i] as number);
  }
  return false;
}

function toEntry(r: Record<string, SqlStorageValue>): Entry {
  return {
    job_id: String(r.job_id),
    user_id: String(r.user_id),
    user_cap: Number(r.user_cap),
    seq: Number(r.seq),
    deadline: Number(r.deadline),
    lease_until: Number(r.lease_until),
    granted_at: r.granted_at == null ? null : Number(r.granted_at),
  };
}
