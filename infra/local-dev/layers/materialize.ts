// Boot, part one: writes a manifest's directories, files and links into an empty data directory on
// tmpfs, taking chunks from the in-memory chunk cache (or the store, decompressed once and cached).
// Plain synchronous file calls: on tmpfs each costs microseconds, far less than a thread-pool hop;
// background boots (pool refills) yield the event loop every few files. Returns the file index the
// instance's first snapshot compares against.
import {
  chownSync,
  closeSync,
  fchownSync,
  fstatSync,
  futimesSync,
  lchownSync,
  mkdirSync,
  openSync,
  symlinkSync,
  writevSync,
} from "node:fs";
import { join } from "node:path";
import { setImmediate as yieldLoop } from "node:timers/promises";
import type { ChunkCache } from "./chunk-cache.ts";
import type { ChunkStore } from "./chunk-store.ts";
import type { FileIndex, FileState } from "./file-index.ts";
import type { Manifest } from "./manifest.ts";

export interface MaterializeOptions {
  owner?: { uid: number; gid: number } | null;
  background?: boolean;
}

/** At most this many buffers per writev call (IOV_MAX is 1024 on Linux). */
const MAX_IOV = 512;
const YIELD_EVERY_FILES = 32;
const MATERIALIZED_MTIME_S = 1_000_000_000;

export async function materialize(
  manifest: Manifest,
  dataDir: string,
  store: ChunkStore,
  cache: ChunkCache,
  opts: MaterializeOptions = {},
): Promise<FileIndex> {
  const owner = opts.owner ?? null;
  const files = new Map<string, FileState>();
  const dirs = [...manifest.dirs].sort((a, b) => a.path.length - b.path.length);
  for (const d of dirs) {
    const path = join(dataDir, d.path);
    mkdirSync(path, { mode: d.mode });
    if (owner) chownSync(path, owner.uid, owner.gid);
  }
  let n = 0;
  for (const f of manifest.files) {
    const fd = openSync(join(dataDir, f.path), "w", f.mode);
    try {
      const bufs = f.chunks.map((h) => cache.get(h, store));
      for (let i = 0; i < bufs.length; i += MAX_IOV) {
        const part = bufs.slice(i, i + MAX_IOV);
        let want = 0;
        for (const b of part) want += b.length;
        const wrote = writevSync(fd, part);
        if (wrote !== want) throw new Error(`${f.path}: short write`);
      }
      if (owner) fchownSync(fd, owner.uid, owner.gid);
      // A fixed old mtime: any later write by the server moves it, even within the same
      // coarse clock tick as this write (tmpfs timestamps can be ~4 ms coarse).
      futimesSync(fd, MATERIALIZED_MTIME_S, MATERIALIZED_MTIME_S);
      const st = fstatSync(fd, { bigint: true });
      if (Number(st.size) !== f.size) throw new Error(`${f.path}: size ${st.size} != ${f.size}`);
      files.set(f.path, { size: f.size, mtimeNs: st.mtimeNs, chunks: f.chunks });
    } finally {
      closeSync(fd);
    }
    if (opts.background && ++n % YIELD_EVERY_FILES === 0) await yieldLoop();
  }
  for (const l of manifest.links) {
    const path = join(dataDir, l.path);
    symlinkSync(l.target, path);
    if (owner) lchownSync(path, owner.uid, owner.gid);
  }
  return { store, files };
}
