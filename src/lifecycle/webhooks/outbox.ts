// A job's webhook outbox in its Durable Object's SQLite: one message per terminal event the job's
// webhook subscribed to, and every attempt made to deliver it. The alarm delivers what is due; the
// state is in storage, so an eviction between attempts loses nothing (the next alarm goes on).
import type { AttemptResult } from "./deliver.ts";

/** The tables (a JobObject migration). */
export const OUTBOX_SCHEMA = `CREATE TABLE webhook_messages (
     webhook_id TEXT PRIMARY KEY,
     event_type TEXT NOT NULL,
     url TEXT NOT NULL,
     body TEXT NOT NULL,
     state TEXT NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     first_attempt_at INTEGER,
     next_attempt_at INTEGER
   );
   CREATE TABLE webhook_attempts (
     n INTEGER PRIMARY KEY AUTOINCREMENT,
     webhook_id TEXT NOT NULL,
     at INTEGER NOT NULL,
     status INTEGER,
     ms INTEGER NOT NULL,
     error TEXT
   )`;

export type MessageState = "pending" | "delivered" | "failed";

export interface OutboxMessage {
  webhook_id: string;
  event_type: string;
  url: string;
  body: string;
  state: MessageState;
  attempts: number;
  first_attempt_at: number | null;
  next_attempt_at: number | null;
}

export interface AttemptRecord {
  webhook_id: string;
  event_type: string;
  at: string;
  status_code: number | null;
  duration_ms: number;
  error: string | null;
}

export class Outbox {
  readonly sql: SqlStorage;
  constructor(sql: SqlStorage) {
    this.sql = sql;
  }

  /** Queues a message to be sent at `now` (once: a second enqueue of the same id is ignored). */
  enqueue(id: string, eventType: string, url: string, body: string, now: number): void {
    this.sql.exec(
      `INSERT INTO webhook_messages (webhook_id, event_type, url, body, state, next_attempt_at)
       VALUES (?, ?, ?, ?, 'pending', ?) ON CONFLICT (webhook_id) DO NOTHING`,
      id,
      eventType,
      url,
      body,
      now,
    );
  }

  /** The pending message due first (at most one is in flight per job: the alarm sends it). */
  nextDue(): OutboxMessage | null {
    const row = this.sql
      .exec<Record<string, SqlStorageValue>>(
        `SELECT * FROM webhook_messages WHERE state = 'pending'
         ORDER BY next_attempt_at LIMIT 1`,
      )
      .toArray()[0];
    if (!row) return null;
    return {
      webhook_id: String(row.webhook_id),
      event_type: String(row.event_type),
      url: String(row.url),
      body: String(row.body),
      state: row.state as MessageState,
      attempts: Number(row.attempts),
      first_attempt_at: row.first_attempt_at == null ? null : Number(row.first_attempt_at),
      next_attempt_at: row.next_attempt_at == null ? null : Number(row.next_attempt_at),
    };
  }

  /** Stores an attempt and what follows from it: delivered, failed, or the next attempt's time. */
  record(message: OutboxMessage, attempt: AttemptResult, next: MessageState | number): void {
    this.sql.exec(
      "INSERT INTO webhook_attempts (webhook_id, at, status, ms, error) VALUES (?, ?, ?, ?, ?)",
      message.webhook_id,
      attempt.at,
      attempt.status,
      attempt.ms,
      attempt.error,
    );
    const state = typeof next === "number" ? "pending" : next;
    this.sql.exec(
      `UPDATE webhook_messages SET attempts = attempts + 1, state = ?,
         first_attempt_at = COALESCE(first_attempt_at, ?), next_attempt_at = ?
       WHERE webhook_id = ?`,
      state,
      attempt.at,
      typeof next === "number" ? next : null,
      message.webhook_id,
    );
  }

  /** Every attempt, oldest first (for `GET /v1/jobs/{id}/webhooks`), at most `limit`. */
  attempts(limit = 500): AttemptRecord[] {
    return this.sql
      .exec<Record<string, SqlStorageValue>>(
        `SELECT a.webhook_id, m.event_type, a.at, a.status, a.ms, a.error
         FROM webhook_attempts a JOIN webhook_messages m USING (webhook_id)
         ORDER BY a.n LIMIT ?`,
        limit,
      )
      .toArray()
      .map((r) => ({
        webhook_id: String(r.webhook_id),
        event_type: String(r.event_type),
        at: new Date(Number(r.at)).toISOString(),
        status_code: r.status == null ? null : Number(r.status),
        duration_ms: Number(r.ms),
        error: (r.error as string | null) ?? null,
      }));
  }

  messages(): Array<
    Pick<OutboxMessage, "webhook_id" | "event_type" | "state" | "attempts" | "next_attempt_at">
  > {
    return this.sql
      .exec<Record<string, SqlStorageValue>>(
        "SELECT webhook_id, event_type, state, attempts, next_attempt_at FROM webhook_messages ORDER BY rowid",
      )
      .toArray()
      .map((r) => ({
        webhook_id: String(r.webhook_id),
        event_type: String(r.event_type),
        state: r.state as MessageState,
        attempts: Number(r.attempts),
        next_attempt_at: r.next_attempt_at == null ? null : Number(r.next_attempt_at),
      }));
  }
}
