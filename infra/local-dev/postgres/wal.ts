// WAL segments named after the one written last are recycled leftovers (preallocated for reuse,
// stale contents). PostgreSQL recreates them on demand and recovery stops at the first page that
// does not belong to the expected segment, so leaving them out of a copy shrinks a layer by up to
// max_wal_size at no risk, whether the cluster was stopped cleanly or frozen (online-snapshot.ts).
import { readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";

const SEGMENT = /^[0-9A-F]{24}$/;

/**
 * Names of the recycled segments in `pg_wal` (not what recovery reads). The segment written last
 * holds the newest WAL; on a tie in mtime (one clock tick) the higher name wins, since WAL is
 * written in order: keeping one stale segment too many is harmless, dropping a live one is not.
 */
export function recycledSegmentsSync(dataDir: string): string[] {
  const walDir = join(dataDir, "pg_wal");
  const segs = readdirSync(walDir)
    .filter((n) => SEGMENT.test(n))
    .map((name) => ({ name, mtimeNs: statSync(join(walDir, name), { bigint: true }).mtimeNs }));
  if (segs.length < 2) return [];
  let current = segs[0] as { name: string; mtimeNs: bigint };
  for (const s of segs) {
    if (s.mtimeNs > current.mtimeNs || (s.mtimeNs === current.mtimeNs && s.name > current.name)) {
      current = s;
    }
  }
  return segs.filter((s) => s.name > current.name).map((s) => s.name);
}

/** Removes recycled future WAL segments from a cleanly stopped data directory; returns bytes freed. */
export async function pruneRecycledWal(dataDir: string): Promise<number> {
  const walDir = join(dataDir, "pg_wal");
  let freed = 0;
  for (const name of recycledSegmentsSync(dataDir)) {
    freed += statSync(join(walDir, name)).size;
    rmSync(join(walDir, name));
  }
  return freed;
}
