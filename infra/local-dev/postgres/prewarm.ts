// Warm caches for an instance booted ahead of demand (the pool), so a warm hit's head does not pay
// for them. Measured with psql on pagila, server time of the bench's two-SELECT head: 7.5 ms just
// after a restart, 3.8 ms once the tables are in shared buffers, 2.0 ms when the backend also has
// the tables' relation-cache entries, 1.8 ms fully warm.
//
// Two parts, because the caches live in two places:
// - shared buffers belong to the server: `prewarmSharedBuffers` reads the user's small tables once
//   per boot, as the platform's superuser with statistics off, so the prewarm's scans never show
//   in the user's `pg_stat_user_tables`;
// - the relation cache belongs to one backend: `RELATION_CACHE_WARM_SQL` runs on each ready session
//   (ready-sessions.ts) before it is handed out.
import { withAdmin } from "./admin.ts";
import { USER_DATABASE } from "./settings.ts";

/** Pages (8 KiB) read into shared buffers per boot: half of the instances' 16 MB. */
export const PREWARM_PAGES = 1024;
/**
 * A table larger than a quarter of shared buffers is scanned through a small ring buffer and
 * would not stay cached: not worth reading.
 */
const PREWARM_MAX_TABLE_PAGES = 512;
const PAGE_BYTES = 8192;
const PREWARM_TIMEOUT = "2s";

// The user owns this database and could redefine operators or functions on a search_path that
// reaches public: this session runs as a superuser, so it resolves nothing outside pg_catalog and
// runs nothing the user wrote. Plain tables only ('r': a scan of one runs no user code; the
// superuser bypasses row security), smallest first.
const SESSION_SQL = `SET search_path = pg_catalog, pg_temp; SET track_counts = off; SET statement_timeout = '${PREWARM_TIMEOUT}'`;
const TABLES_SQL = `SELECT c.oid::regclass::text AS name, pg_relation_size(c.oid)::int8 AS bytes
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND c.relpersistence <> 't'
  AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
  AND pg_relation_size(c.oid) <= ${PREWARM_MAX_TABLE_PAGES * PAGE_BYTES}
ORDER BY 2, 1 LIMIT 1000`;

/** The scans that fill at most `budgetPages` pages, smallest tables first. */
export function prewarmScans(
  tables: readonly { name: string; bytes: string | number }[],
  budgetPages = PREWARM_PAGES,
): string[] {
  const scans: string[] = [];
  let pages = 0;
  for (const t of tables) {
    pages += Math.ceil(Number(t.bytes) / PAGE_BYTES);
    if (pages > budgetPages) break;
    scans.push(`SELECT count(*) FROM ONLY ${t.name}`);
  }
  return scans;
}

/**
 * Reads the user's small tables into shared buffers in one admin session on the user's database.
 * Best effort: the database may have been dropped, a table may be locked past the timeout.
 */
export async function prewarmSharedBuffers(
  socketDir: string,
  adminPassword: string,
  database: string = USER_DATABASE,
): Promise<void> {
  try {
    await withAdmin(
      socketDir,
      adminPassword,
      async (client) => {
        await client.query(SESSION_SQL);
        const tables = await client.query<{ name: string; bytes: string }>(TABLES_SQL);
        const scans = prewarmScans(tables.rows);
        if (scans.length > 0) await client.query(scans.join(";\n"));
      },
      database,
    );
  } catch {
    // nothing (more) to warm
  }
}

/**
 * Opens every user relation (tables and their indexes) in the session that runs it, which builds
 * their relation-cache entries; `pg_relation_size` reads no data and counts no scan. The lock
 * timeout keeps a session opened while the user's job holds an exclusive lock from waiting for it:
 * the implicit transaction of this one query string fails and the session is idle again.
 */
export const RELATION_CACHE_WARM_SQL = `SET LOCAL lock_timeout = '50ms';
SELECT pg_catalog.count(pg_catalog.pg_relation_size(r.oid)) FROM (
  SELECT c.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'm', 'i', 'I') AND c.relpersistence <> 't'
    AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
  LIMIT 1000) r`;
