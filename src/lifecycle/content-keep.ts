// The garbage-collection index of the content store `FILES` (R2, keys `sha256/<hex>`): for every
// stored content, the time until which some job may still read it ("keep until"). A job that
// holds or names a content keeps it until its own `expires_at` plus a grace period; an upload
// keeps it for the grace period. The sweep deletes what nobody keeps any longer.
//
// Beside the lease, the index records who holds each content: a user who sent its bytes (inline in
// a create or append, or by `PUT /v1/blobs/...`). The store is shared (one copy per content), but
// a user may name a content by etag, or learn from `POST /v1/blobs/missing` that it is stored, only
// if they hold it: otherwise a hash would tell one user what another uploaded (docs/security.md,
// "Content by etag").
//
// Why an index and not reference counts: a count needs a decrement on every expiry path (alarm,
// GC, crash); a "keep until" lease only ever moves forward and is correct when a decrement is lost.
// The index is sharded by the first hex digit over 16 Durable Objects (FileIndexObject), so no
// single object sees every create.

export const CONTENT_KEEP_TABLE = `CREATE TABLE IF NOT EXISTS content (
  digest TEXT PRIMARY KEY,
  keep_until INTEGER NOT NULL
)`;

export const CONTENT_HELD_TABLE = `CREATE TABLE IF NOT EXISTS held (
  digest TEXT NOT NULL,
  owner TEXT NOT NULL,
  PRIMARY KEY (digest, owner)
) WITHOUT ROWID`;

/** How long content stays after the last job that may read it expired (the `FILES_GRACE_SECONDS` var). */
export const DEFAULT_GRACE_SECONDS = 24 * 3600;

export const SHARDS = "0123456789abcdef".split("");

/** `sha256:<hex>` or `<hex>` -> the shard's name. */
export function shardOf(digest: string): string {
  const hex = digest.startsWith("sha256:") ? digest.slice(7) : digest;
  return `files-${hex[0] ?? "0"}`;
}

export function hexOf(digest: string): string {
  return digest.startsWith("sha256:") ? digest.slice(7) : digest;
}

/** Moves every digest's keep-until forward to `until` (never backward). */
export function keepRows(sql: SqlStorage, hexes: readonly string[], until: number): void {
  for (const hex of hexes) {
    sql.exec(
      `INSERT INTO content (digest, keep_until) VALUES (?, ?)
       ON CONFLICT (digest) DO UPDATE SET keep_until = MAX(keep_until, excluded.keep_until)`,
      hex,
      until,
    );
  }
}

/** Up to `limit` digests nobody keeps at `now`, oldest first. */
export function expiredRows(sql: SqlStorage, now: number, limit: number): string[] {
  return sql
    .exec<{ digest: string }>(
      "SELECT digest FROM content WHERE keep_until < ? ORDER BY keep_until LIMIT ?",
      now,
      limit,
    )
    .toArray()
    .map((r) => r.digest);
}

/** Records that `owner` sent the bytes of every digest (idempotent). */
export function holdRows(sql: SqlStorage, owner: string, hexes: readonly string[]): void {
  for (const hex of hexes) {
    sql.exec("INSERT OR IGNORE INTO held (digest, owner) VALUES (?, ?)", hex, owner);
  }
}

/** The digests among `hexes` that `owner` holds (stored, not yet collected). */
export function heldRows(sql: SqlStorage, owner: string, hexes: readonly string[]): string[] {
  return hexes.filter(
    (hex) =>
      sql.exec("SELECT 1 FROM held WHERE digest = ? AND owner = ?", hex, owner).toArray().length >
      0,
  );
}

/** Forgets collected digests: their leases and who held them. */
export function forgetRows(sql: SqlStorage, hexes: readonly string[]): void {
  for (const hex of hexes) {
    sql.exec("DELETE FROM content WHERE digest = ?", hex);
    sql.exec("DELETE FROM held WHERE digest = ?", hex);
  }
}

export function countRows(sql: SqlStorage): number {
  return sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM content").one().n;
}

/** What one shard of the index answers (FileIndexObject implements it). */
export interface ContentIndexShard {
  /** Leases every digest until `until`; with `owner`, records that they hold it. */
  keep(hexes: string[], until: number, owner?: string): Promise<void>;
  /** The digests `owner` holds, each leased until `until`; the others are left alone. */
  claim(hexes: string[], until: number, owner: string): Promise<string[]>;
}

function byShard(hexes: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const hex of hexes) {
    const name = shardOf(hex);
    const list = out.get(name) ?? [];
    list.push(hex);
    out.set(name, list);
  }
  return out;
}

/** Groups `hexes` by shard and takes the lease in each, in parallel. */
export async function keepContent(
  shard: (name: string) => ContentIndexShard,
  hexes: readonly string[],
  until: number,
  owner?: string,
): Promise<void> {
  await Promise.all(
    [...byShard(hexes)].map(([name, list]) => shard(name).keep(list, until, owner)),
  );
}

/** The digests among `hexes` that `owner` holds, leased until `until` (grouped by shard). */
export async function claimContent(
  shard: (name: string) => ContentIndexShard,
  hexes: readonly string[],
  until: number,
  owner: string,
): Promise<Set<string>> {
  const answers = await Promise.all(
    [...byShard(hexes)].map(([name, list]) => shard(name).claim(list, until, owner)),
  );
  return new Set(answers.flat());
}

/** Seconds content stays after the last job that may read it expired (the var, or the default). */
export function graceMs(raw: string | undefined): number {
  const seconds = Number(raw);
  return (Number.isFinite(seconds) && seconds >= 0 ? seconds : DEFAULT_GRACE_SECONDS) * 1000;
}
