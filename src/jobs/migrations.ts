// The JobObject's SQLite schema as an append-only, numbered list of migrations. Never edit an
// applied entry: add a new one. Applied once per Durable Object instance, in its constructor.

import { SLOT_SCHEMA } from "../admission/job-slot.ts";
import { LIFECYCLE_SCHEMA } from "../lifecycle/job-lifecycle.ts";
import { OUTBOX_SCHEMA } from "../lifecycle/webhooks/outbox.ts";

export const MIGRATIONS: readonly string[] = [
  // 1: the job (one row), its parts and files, numbered events, stages and the result.
  `CREATE TABLE job (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     job_id TEXT NOT NULL,
     user_id TEXT NOT NULL,
     request_id TEXT NOT NULL,
     body_digest TEXT NOT NULL,
     mode TEXT NOT NULL,
     status TEXT NOT NULL,
     stage TEXT,
     head_path TEXT,
     variables TEXT NOT NULL,
     snapshot_ttl INTEGER NOT NULL,
     job_ttl INTEGER NOT NULL,
     timeout_ms INTEGER NOT NULL,
     telemetry TEXT NOT NULL,
     run_digest TEXT,
     run_requested INTEGER NOT NULL DEFAULT 0,
     created_at INTEGER NOT NULL,
     started_at INTEGER,
     finished_at INTEGER,
     expires_at INTEGER NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     retries INTEGER NOT NULL DEFAULT 0,
     instance_id TEXT,
     snapshot TEXT,
     error TEXT,
     cache_hit INTEGER
   );
   CREATE TABLE parts (part INTEGER PRIMARY KEY, digest TEXT NOT NULL);
   CREATE TABLE files (
     path TEXT PRIMARY KEY,
     part INTEGER NOT NULL,
     digest TEXT NOT NULL,
     etag TEXT,
     chunks INTEGER NOT NULL
   );
   CREATE TABLE file_chunks (
     path TEXT NOT NULL,
     idx INTEGER NOT NULL,
     data TEXT NOT NULL,
     PRIMARY KEY (path, idx)
   );
   CREATE TABLE events (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     type TEXT NOT NULL,
     ts INTEGER NOT NULL,
     data TEXT NOT NULL
   );
   CREATE TABLE stages (
     name TEXT PRIMARY KEY,
     ord INTEGER NOT NULL,
     status TEXT NOT NULL,
     started_at INTEGER NOT NULL,
     ms REAL NOT NULL DEFAULT 0,
     open_at INTEGER
   );
   CREATE TABLE result_chunks (idx INTEGER PRIMARY KEY, data TEXT NOT NULL);`,
  // 2: steps replayed by earlier alarms of this job (a long tail continues in the next alarm).
  "ALTER TABLE job ADD COLUMN carried_steps INTEGER NOT NULL DEFAULT 0",
  // 3: lifecycle (plan, webhook, layer pins) and the webhook outbox (docs/lifecycle.md).
  `${LIFECYCLE_SCHEMA};
   ${OUTBOX_SCHEMA}`,
  // 4: how the head(s) run: on_error, output, echo, heads (issue 17), as JSON.
  "ALTER TABLE job ADD COLUMN head_options TEXT",
  // 5: the job's place in admission (pool, ticket, granted: src/admission/job-slot.ts).
  SLOT_SCHEMA,
  // 6: the rows of the result sets, one SQLite row per result row (`part` > 0 when a row's JSON
  // passes one chunk); result_chunks keeps the summary the view shows (docs/limits.md "Results").
  `CREATE TABLE result_rows (
     set_id INTEGER NOT NULL,
     row INTEGER NOT NULL,
     part INTEGER NOT NULL,
     data TEXT NOT NULL,
     PRIMARY KEY (set_id, row, part)
   )`,
];

/** Applies the migrations not yet recorded in `_migrations`; idempotent. */
export function applyMigrations(sql: SqlStorage): void {
  sql.exec("CREATE TABLE IF NOT EXISTS _migrations (version INTEGER PRIMARY KEY)");
  const row = sql.exec<{ v: number | null }>("SELECT MAX(version) AS v FROM _migrations").one();
  const current = row.v ?? 0;
  for (let i = current; i < MIGRATIONS.length; i++) {
    sql.exec(MIGRATIONS[i] as string);
    sql.exec("INSERT INTO _migrations (version) VALUES (?)", i + 1);
  }
}
