// The audit-log's storage: one append-only SQLite table (node:sqlite). A record is inserted once
// per id (the queue delivers at least once; a repeated delivery is ignored) and never changed:
// triggers refuse UPDATE and DELETE.
import { DatabaseSync } from "node:sqlite";
import type { AuditRecord } from "../../../src/clients/contracts/audit-log.ts";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS audit (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  received_at TEXT NOT NULL,
  job_id TEXT,
  user_id TEXT,
  action TEXT NOT NULL,
  record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_job ON audit (job_id, seq);
CREATE INDEX IF NOT EXISTS audit_user ON audit (user_id, seq);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
  BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
  BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
`;

export interface AuditFilter {
  job_id?: string | undefined;
  user_id?: string | undefined;
  action?: string | undefined;
  after: number;
  limit: number;
}

export class AuditStore {
  readonly #db: DatabaseSync;

  constructor(path: string) {
    this.#db = new DatabaseSync(path);
    this.#db.exec("PRAGMA journal_mode = WAL;");
    this.#db.exec(SCHEMA);
  }

  /** Appends the records not seen before; returns how many were new. */
  append(records: AuditRecord[]): number {
    const insert = this.#db.prepare(
      `INSERT INTO audit (id, received_at, job_id, user_id, action, record)
       VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
    );
    const now = new Date().toISOString();
    let added = 0;
    this.#db.exec("BEGIN");
    try {
      for (const r of records) {
        const out = insert.run(r.id, now, r.job_id, r.user_id, r.action, JSON.stringify(r));
        added += Number(out.changes);
      }
      this.#db.exec("COMMIT");
    } catch (err) {
      this.#db.exec("ROLLBACK");
      throw err;
    }
    return added;
  }

  query(f: AuditFilter): Array<AuditRecord & { seq: number }> {
    const where = ["seq > ?"];
    const args: Array<string | number> = [f.after];
    if (f.job_id) {
      where.push("job_id = ?");
      args.push(f.job_id);
    }
    if (f.user_id) {
      where.push("user_id = ?");
      args.push(f.user_id);
    }
    if (f.action) {
      where.push("action = ?");
      args.push(f.action);
    }
    const rows = this.#db
      .prepare(`SELECT seq, record FROM audit WHERE ${where.join(" AND ")} ORDER BY seq LIMIT ?`)
      .all(...args, f.limit) as Array<{ seq: number; record: string }>;
    return rows.map((row) => ({
      ...(JSON.parse(row.record) as AuditRecord),
      seq: Number(row.seq),
    }));
  }

  close(): void {
    this.#db.close();
  }
}
