// Boot, part one: writes a manifest's directories, files and links into an empty data directory on
// tmpfs, taking chunks from the in-memory chunk cache. Chunks the cache lacks (a cold boot) are
// read and decoded ahead of the writes, several at once on libuv's thread pool, a bounded batch of
// files at a time; the writes themselves are plain synchronous calls (on tmpfs each costs
// microseconds, far less than a thread-pool hop). Background boots (pool refills) fetch one chunk
// at a time and yield the event loop every few files. Returns the file index the instance's first
// snapshot compares against.
import {
  chownSync,
  closeSync,
  fchownSync,
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
  /** Decoded chunks held ahead of the writes (default PREFETCH_BYTES; tests lower it). */
  prefetchBytes?: number;
}

/** At most this many buffers per writev call (IOV_MAX is 1024 on Linux). */
const MAX_IOV = 512;
const YIELD_EVERY_FILES = 32;
const MATERIALIZED_MTIME_S = 1_000_000_000;
const MATERIALIZED_MTIME_NS = BigInt(MATERIALIZED_MTIME_S) * 1_000_000_000n;
/** Decoded chunks held ahead of the writes: bounds a cold boot's memory whatever the layer size. */
const PREFETCH_BYTES = 16 << 20;
/** Chunks read and decoded at once on a cold boot (libuv's pool has 4 threads by default). */
const PREFETCH_PARALLEL = 4;

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
  const list = manifest.files;
  const prefetchBytes = opts.prefetchBytes ?? PREFETCH_BYTES;
  let n = 0;
  for (let from = 0; from < list.length; ) {
    // A batch: the next files until their uncached chunks reach prefetchBytes (at least one file).
    const missing = new Set<string>();
    let to = from;
    while (
      to < list.length &&
      (to === from || missing.size * manifest.chunk_size < prefetchBytes)
    ) {
      for (const h of list[to]?.chunks ?? []) if (!cache.has(h)) missing.add(h);
      to++;
    }
    const fetched = await fetchChunks([...missing], store, opts.background ? 1 : PREFETCH_PARALLEL);
    for (let i = from; i < to; i++) {
      const f = list[i];
      if (!f) continue;
      // A chunk evicted since the batch was planned is read synchronously (cache.get).
      const bufs = f.chunks.map((h) => fetched.get(h) ?? cache.get(h, store));
      writeFile(join(dataDir, f.path), f.path, f.mode, f.size, bufs, owner);
      files.set(f.path, { size: f.size, mtimeNs: MATERIALIZED_MTIME_NS, chunks: f.chunks });
      if (opts.background && ++n % YIELD_EVERY_FILES === 0) await yieldLoop();
    }
    // Fetched ahead, they are the cache's misses (a get that finds nothing counts the same way).
    cache.misses += fetched.size;
    for (const [h, raw] of fetched) cache.put(h, raw);
    from = to;
  }
  for (const l of manifest.links) {
    const path = join(dataDir, l.path);
    symlinkSync(l.target, path);
    if (owner) lchownSync(path, owner.uid, owner.gid);
  }
  return { store, files };
}

/** Reads and decodes `hashes`, `parallel` at a time. */
async function fetchChunks(
  hashes: string[],
  store: ChunkStore,
  parallel: number,
): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  let next = 0;
  const worker = async () => {
    while (next < hashes.length) {
      const h = hashes[next++] as string;
      out.set(h, await store.read(h));
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, hashes.length) }, worker));
  return out;
}

/** One file: open, one writev per MAX_IOV chunks, owner, a fixed mtime, close. */
function writeFile(
  abs: string,
  rel: string,
  mode: number,
  size: number,
  bufs: Buffer[],
  owner: { uid: number; gid: number } | null,
): void {
  const fd = openSync(abs, "w", mode);
  try {
    let written = 0;
    for (let i = 0; i < bufs.length; i += MAX_IOV) {
      const part = bufs.slice(i, i + MAX_IOV);
      let want = 0;
      for (const b of part) want += b.length;
      const wrote = writevSync(fd, part);
      if (wrote !== want) throw new Error(`${rel}: short write`);
      written += wrote;
    }
    // The file was created empty and is written only here: what was written is its size, so no
    // fstat is needed (one syscall less per file).
    if (written !== size) throw new Error(`${rel}: size ${written} != ${size}`);
    if (owner) fchownSync(fd, owner.uid, owner.gid);
    // A fixed old mtime: any later write by the server moves it, even within the same coarse
    // clock tick as this write (tmpfs timestamps can be ~4 ms coarse). Set here, so it is known
    // without reading it back.
    futimesSync(fd, MATERIALIZED_MTIME_S, MATERIALIZED_MTIME_S);
  } finally {
    closeSync(fd);
  }
}
