// TenantObject: one Durable Object per user (named by user_id), the ledger of tail prefixes that
// user ran (src/tenant/reuse-report.ts): a job may report reused steps only for prefixes in it.
// It keeps hashes only (h_i, which name a prefix without its content), at most MAX_PREFIXES per
// user: past it the least recently recorded leave (a tail the user already had in full is not
// recorded again), and a later reuse of them is reported as replay (the report errs on the side
// of saying less, never more).
import { DurableObject } from "cloudflare:workers";
import type { TenantLedger } from "../tenant/reuse-report.ts";

export const MAX_PREFIXES = 50_000;

export class TenantObject extends DurableObject<Env> implements TenantLedger {
  readonly #sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    this.#sql.exec(
      "CREATE TABLE IF NOT EXISTS prefixes (hash TEXT PRIMARY KEY, used_at INTEGER NOT NULL)",
    );
    this.#sql.exec("CREATE INDEX IF NOT EXISTS prefixes_used_at ON prefixes (used_at)");
  }

  async ownedPrefix(hashes: string[]): Promise<number> {
    // A user's recorded prefixes of one chain are closed under shorter prefixes (record takes
    // h_1..h_k), so the longest owned one is found from the end; eviction can break that only
    // towards saying less.
    for (let k = hashes.length; k > 0; k--) {
      const row = this.#sql.exec("SELECT 1 FROM prefixes WHERE hash = ?", hashes[k - 1]!).toArray();
      if (row.length > 0) return k;
    }
    return 0;
  }

  async record(hashes: string[]): Promise<void> {
    const now = Date.now();
    for (const hash of hashes) {
      this.#sql.exec(
        "INSERT INTO prefixes (hash, used_at) VALUES (?, ?) ON CONFLICT (hash) DO UPDATE SET used_at = excluded.used_at",
        hash,
        now,
      );
    }
    const count = Number(this.#sql.exec("SELECT count(*) AS n FROM prefixes").one().n);
    // Oldest first; within one record (one timestamp) the first inserted, so a tail's shorter
    // prefixes leave before its longer ones.
    if (count > MAX_PREFIXES) {
      this.#sql.exec(
        "DELETE FROM prefixes WHERE hash IN (SELECT hash FROM prefixes ORDER BY used_at, rowid LIMIT ?)",
        count - MAX_PREFIXES,
      );
    }
  }
}
