// The snapshot-cache index: which layer holds which tail hash, with sizes and use times, in a SQLite
// file (Node 22's built-in node:sqlite) so it survives a restart. Calls are synchronous, so each one
// is atomic with respect to the other requests this single-threaded service serves.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync, type SQLOutputValue, type StatementSync } from "node:sqlite";

/** One indexed layer; times are epoch milliseconds. */
export type LayerRow = {
  tail_hash: string;
  layer_id: string;
  parent_hash: string | null;
  engine: string;
  settings_digest: string;
  size_bytes: number;
  /** Bytes the layer added to storage (format 2: its new chunks); null for older rows. */
  new_bytes: number | null;
  ttl_seconds: number;
  created_at: number;
  last_used_at: number;
  /** Kept at least until then whatever its ttl (a job's extension pins its layers); 0: no pin. */
  pinned_until?: number;
};

export type NewLayer = Omit<LayerRow, "created_at" | "last_used_at" | "pinned_until">;

export type PublishResult = { kind: "created" | "existing" | "lost_race"; row: LayerRow };

// Append-only: never edit an applied migration, add a new one.
const MIGRATIONS = [
  `CREATE TABLE layers (
     tail_hash TEXT PRIMARY KEY,
     layer_id TEXT NOT NULL UNIQUE,
     parent_hash TEXT,
     engine TEXT NOT NULL,
     settings_digest TEXT NOT NULL,
     size_bytes INTEGER NOT NULL,
     ttl_seconds INTEGER NOT NULL,
     created_at INTEGER NOT NULL,
     last_used_at INTEGER NOT NULL
   ) STRICT;
   CREATE INDEX layers_by_last_use ON layers (last_used_at);
   CREATE TABLE orphans (layer_id TEXT PRIMARY KEY, since INTEGER NOT NULL) STRICT;`,
  // Layer ids are content hashes (env-manager): identical data may serve several tail hashes.
  `CREATE TABLE layers_v2 (
     tail_hash TEXT PRIMARY KEY,
     layer_id TEXT NOT NULL,
     parent_hash TEXT,
     engine TEXT NOT NULL,
     settings_digest TEXT NOT NULL,
     size_bytes INTEGER NOT NULL,
     ttl_seconds INTEGER NOT NULL,
     created_at INTEGER NOT NULL,
     last_used_at INTEGER NOT NULL
   ) STRICT;
   INSERT INTO layers_v2 SELECT tail_hash, layer_id, parent_hash, engine, settings_digest,
     size_bytes, ttl_seconds, created_at, last_used_at FROM layers;
   DROP TABLE layers;
   ALTER TABLE layers_v2 RENAME TO layers;
   CREATE INDEX layers_by_last_use ON layers (last_used_at);
   CREATE INDEX layers_by_layer_id ON layers (layer_id);`,
  // Pins: an extended job keeps its layers at least as long as itself.
  "ALTER TABLE layers ADD COLUMN pinned_until INTEGER NOT NULL DEFAULT 0",
  // Layer format 2 stores chunks once: a layer's own cost is the bytes it added.
  "ALTER TABLE layers ADD COLUMN new_bytes INTEGER;",
];

export function expiresAt(row: LayerRow): number {
  return Math.max(row.last_used_at + row.ttl_seconds * 1000, row.pinned_until ?? 0);
}

function str(v: SQLOutputValue | undefined): string {
  if (typeof v !== "string") throw new Error(`index row: expected text, got ${typeof v}`);
  return v;
}
function num(v: SQLOutputValue | undefined): number {
  if (typeof v !== "number") throw new Error(`index row: expected integer, got ${typeof v}`);
  return v;
}

function toRow(r: Record<string, SQLOutputValue>): LayerRow {
  return {
    tail_hash: str(r.tail_hash),
    layer_id: str(r.layer_id),
    parent_hash: r.parent_hash === null ? null : str(r.parent_hash),
    engine: str(r.engine),
    settings_digest: str(r.settings_digest),
    size_bytes: num(r.size_bytes),
    new_bytes: r.new_bytes === null || r.new_bytes === undefined ? null : num(r.new_bytes),
    ttl_seconds: num(r.ttl_seconds),
    created_at: num(r.created_at),
    last_used_at: num(r.last_used_at),
    pinned_until: r.pinned_until === undefined ? 0 : num(r.pinned_until),
  };
}

export class IndexStore {
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();

  constructor(file: string) {
    mkdirSync(dirname(file), { recursive: true });
    this.#db = new DatabaseSync(file);
    this.#db.exec(
      "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;",
    );
    this.#db.exec("CREATE TABLE IF NOT EXISTS migrations (id INTEGER PRIMARY KEY) STRICT");
    const applied = new Set(
      this.#db
        .prepare("SELECT id FROM migrations")
        .all()
        .map((r) => num(r.id)),
    );
    MIGRATIONS.forEach((sql, id) => {
      if (applied.has(id)) return;
      this.#tx(() => {
        this.#db.exec(sql);
        this.#db.prepare("INSERT INTO migrations (id) VALUES (?)").run(id);
      });
    });
  }

  #tx<T>(fn: () => T): T {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      const out = fn();
      this.#db.exec("COMMIT");
      return out;
    } catch (err) {
      this.#db.exec("ROLLBACK");
      throw err;
    }
  }

  /** Prepared once per SQL text: preparing costs more than running these small queries. */
  #q(sql: string): StatementSync {
    let stmt = this.#statements.get(sql);
    if (!stmt) {
      stmt = this.#db.prepare(sql);
      this.#statements.set(sql, stmt);
    }
    return stmt;
  }

  close(): void {
    this.#db.close();
  }

  byHash(tailHash: string): LayerRow | null {
    const r = this.#q("SELECT * FROM layers WHERE tail_hash = ?").get(tailHash);
    return r ? toRow(r) : null;
  }

  /** The most recently used row of a layer (a layer may serve several tail hashes). */
  byLayerId(layerId: string): LayerRow | null {
    const r = this.#q(
      "SELECT * FROM layers WHERE layer_id = ? ORDER BY last_used_at DESC LIMIT 1",
    ).get(layerId);
    return r ? toRow(r) : null;
  }

  /** Indexed rows among `hashes` (any order; the caller picks the longest prefix). */
  findHashes(hashes: readonly string[]): LayerRow[] {
    return this.#q("SELECT * FROM layers WHERE tail_hash IN (SELECT value FROM json_each(?))")
      .all(JSON.stringify(hashes))
      .map(toRow);
  }

  all(): LayerRow[] {
    return this.#q("SELECT * FROM layers ORDER BY last_used_at, created_at").all().map(toRow);
  }

  /**
   * Stored bytes of the indexed layers (a layer serving several hashes counts once): what each
   * added to storage (`new_bytes`; a format-1 layer is its whole `size_bytes`).
   */
  totalBytes(): number {
    const r = this.#q(
      "SELECT COALESCE(SUM(size), 0) AS n FROM (SELECT MAX(COALESCE(new_bytes, size_bytes)) AS size FROM layers GROUP BY layer_id)",
    ).get();
    return r ? num(r.n) : 0;
  }

  count(): number {
    const r = this.#q("SELECT COUNT(*) AS n FROM layers").get();
    return r ? num(r.n) : 0;
  }

  /** Keeps the layers of `tailHashes` at least until `until`; answers how many rows it pinned. */
  pin(tailHashes: readonly string[], until: number): number {
    return this.#tx(() => {
      let n = 0;
      const upd = this.#q(
        "UPDATE layers SET pinned_until = MAX(pinned_until, ?) WHERE tail_hash = ?",
      );
      for (const hash of tailHashes) n += Number(upd.run(until, hash).changes);
      return n;
    });
  }

  touch(tailHash: string, now: number): LayerRow | null {
    this.#q("UPDATE layers SET last_used_at = ? WHERE tail_hash = ?").run(now, tailHash);
    return this.byHash(tailHash);
  }

  /**
   * First writer wins. A publish of a hash that already has a layer touches it (and keeps it at
   * least as long as the new ttl asks); a different layer id loses and is recorded as an orphan.
   */
  publish(layer: NewLayer, now: number): PublishResult {
    return this.#tx((): PublishResult => {
      const existing = this.byHash(layer.tail_hash);
      if (existing) {
        this.#q(
          "UPDATE layers SET last_used_at = ?, ttl_seconds = MAX(ttl_seconds, ?) WHERE tail_hash = ?",
        ).run(now, layer.ttl_seconds, layer.tail_hash);
        const row = this.byHash(layer.tail_hash) ?? existing;
        if (existing.layer_id === layer.layer_id) return { kind: "existing", row };
        if (!this.byLayerId(layer.layer_id)) this.#addOrphan(layer.layer_id, now);
        return { kind: "lost_race", row };
      }
      this.#q(
        `INSERT INTO layers (tail_hash, layer_id, parent_hash, engine, settings_digest, size_bytes,
             new_bytes, ttl_seconds, created_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        layer.tail_hash,
        layer.layer_id,
        layer.parent_hash,
        layer.engine,
        layer.settings_digest,
        layer.size_bytes,
        layer.new_bytes,
        layer.ttl_seconds,
        now,
        now,
      );
      this.#q("DELETE FROM orphans WHERE layer_id = ?").run(layer.layer_id);
      const row = this.byHash(layer.tail_hash);
      if (!row) throw new Error("index: inserted row vanished");
      return { kind: "created", row };
    });
  }

  /** Drops the row of `tailHash`; its directory becomes an orphan for GC to remove. */
  unindex(tailHash: string, now: number): LayerRow | null {
    return this.#tx(() => {
      const row = this.byHash(tailHash);
      if (!row) return null;
      this.#q("DELETE FROM layers WHERE tail_hash = ?").run(tailHash);
      if (!this.byLayerId(row.layer_id)) this.#addOrphan(row.layer_id, now);
      return row;
    });
  }

  /** Drops rows GC is about to delete (the directories go next; a crash in between leaves orphans). */
  removeRows(rows: readonly LayerRow[]): void {
    this.#tx(() => {
      const del = this.#q("DELETE FROM layers WHERE tail_hash = ? AND layer_id = ?");
      for (const r of rows) del.run(r.tail_hash, r.layer_id);
    });
  }

  orphans(): string[] {
    return this.#q("SELECT layer_id FROM orphans ORDER BY since")
      .all()
      .map((r) => str(r.layer_id));
  }

  forgetOrphan(layerId: string): void {
    this.#q("DELETE FROM orphans WHERE layer_id = ?").run(layerId);
  }

  #addOrphan(layerId: string, now: number): void {
    this.#q("INSERT INTO orphans (layer_id, since) VALUES (?, ?) ON CONFLICT DO NOTHING").run(
      layerId,
      now,
    );
  }
}
