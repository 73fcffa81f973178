// The job's side of admission, kept in the job's own storage so an evicted job knows, when its
// alarm brings it back, which pool it asked, since when it waits and whether it was granted.
import type { Ticket } from "./queue.ts";

export const SLOT_SCHEMA = `CREATE TABLE IF NOT EXISTS admission_slot (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  pool TEXT NOT NULL,
  ticket TEXT NOT NULL,
  asked_at INTEGER NOT NULL,
  granted INTEGER NOT NULL DEFAULT 0,
  lease_ms INTEGER NOT NULL
)`;

export interface SlotRecord {
  pool: string;
  ticket: Ticket;
  askedAt: number;
  granted: boolean;
  leaseMs: number;
}

export class JobSlot {
  readonly sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.sql = sql;
  }

  get(): SlotRecord | null {
    const row = this.sql
      .exec<{ pool: string; ticket: string; asked_at: number; granted: number; lease_ms: number }>(
        "SELECT pool, ticket, asked_at, granted, lease_ms FROM admission_slot WHERE id = 1",
      )
      .toArray()[0];
    if (!row) return null;
    return {
      pool: row.pool,
      ticket: JSON.parse(row.ticket) as Ticket,
      askedAt: Number(row.asked_at),
      granted: Number(row.granted) === 1,
      leaseMs: Number(row.lease_ms),
    };
  }

  record(pool: string, ticket: Ticket, askedAt: number, granted: boolean, leaseMs: number): void {
    this.sql.exec(
      "INSERT OR REPLACE INTO admission_slot (id, pool, ticket, asked_at, granted, lease_ms) VALUES (1, ?, ?, ?, ?, ?)",
      pool,
      JSON.stringify(ticket),
      askedAt,
      granted ? 1 : 0,
      leaseMs,
    );
  }

  setGranted(granted: boolean): void {
    this.sql.exec("UPDATE admission_slot SET granted = ? WHERE id = 1", granted ? 1 : 0);
  }

  clear(): void {
    this.sql.exec("DELETE FROM admission_slot");
  }
}
