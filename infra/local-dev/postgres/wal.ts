// After a clean shutdown, WAL segments named after the one holding the shutdown checkpoint are
// recycled leftovers (preallocated for reuse, stale contents). PostgreSQL recreates them on demand,
// so dropping them before a copy shrinks a layer by up to max_wal_size at no risk.
import { readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";

const SEGMENT = /^[0-9A-F]{24}$/;

/** Removes recycled future WAL segments from a cleanly stopped data directory; returns bytes freed. */
export async function pruneRecycledWal(dataDir: string): Promise<number> {
  const walDir = join(dataDir, "pg_wal");
  const names = (await readdir(walDir)).filter((n) => SEGMENT.test(n));
  if (names.length < 2) return 0;
  const stats = await Promise.all(names.map((n) => stat(join(walDir, n))));
  // The segment written last holds the shutdown checkpoint record.
  let newest = 0;
  for (let i = 1; i < names.length; i++) {
    if ((stats[i]?.mtimeMs ?? 0) > (stats[newest]?.mtimeMs ?? 0)) newest = i;
  }
  const current = names[newest] ?? "";
  let freed = 0;
  await Promise.all(
    names.map(async (name, i) => {
      if (name <= current) return;
      freed += stats[i]?.size ?? 0;
      await rm(join(walDir, name));
    }),
  );
  return freed;
}
