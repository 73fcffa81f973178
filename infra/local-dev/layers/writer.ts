// Snapshot, part three (in the background, off the job's critical path): compress and store the new
// chunks of a capture, make sure every chunk the manifest names is in the store, then publish the
// layer directory (`manifest.json`, `layer.json`, `admin.secret`) with one rename. The manifest
// appears last, after all its chunks, so a visible layer is always complete.
import { randomBytes } from "node:crypto";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Capture, forEachChunk, type Hashed } from "./capture.ts";
import type { ChunkCache } from "./chunk-cache.ts";
import type { ChunkStore } from "./chunk-store.ts";
import { logicalBytes } from "./manifest.ts";

export const MANIFEST_FILE = "manifest.json";

export interface StoredChunks {
  /** Compressed bytes this layer added to the store. */
  newBytes: number;
  newChunks: number;
  distinctChunks: number;
}

/**
 * Writes the chunks of `hashed` that `store` lacks: staged files are read and compressed; chunks of
 * unchanged files are only checked (and touched), or copied from `fallback` (a base image's store).
 */
export async function storeChunks(
  cap: Capture,
  hashed: Hashed,
  store: ChunkStore,
  opts: { fallback?: ChunkStore | null; cache?: ChunkCache | null } = {},
): Promise<StoredChunks> {
  const seen = new Set<string>();
  let newBytes = 0;
  let newChunks = 0;
  for (const f of cap.files) {
    if (f.chunks !== null) continue;
    const hashes = hashed.files.get(f.path)?.chunks ?? [];
    await forEachChunk(join(cap.stagingDir, f.path), f.size, async (chunk, i) => {
      const hash = hashes[i];
      if (hash === undefined) throw new Error(`${f.path}: changed while being stored`);
      if (seen.has(hash)) return;
      seen.add(hash);
      const written = await store.put(hash, chunk);
      if (written > 0) {
        newBytes += written;
        newChunks++;
      }
      // The next job boots from this layer: keep its new chunks decompressed (a copy: `chunk` is
      // a view into a reused read buffer).
      opts.cache?.put(hash, Buffer.from(chunk));
    });
  }
  for (const f of hashed.manifest.files) {
    for (const hash of f.chunks) {
      if (seen.has(hash)) continue;
      seen.add(hash);
      if (store.touchSync(hash)) continue;
      if (!opts.fallback?.has(hash)) throw new Error(`chunk ${hash} of ${f.path} is missing`);
      const written = await store.importFrom(opts.fallback, hash);
      newBytes += written;
      if (written > 0) newChunks++;
    }
  }
  return { newBytes, newChunks, distinctChunks: seen.size };
}

export interface LayerJsonFormat2 {
  layer_id: string;
  format: 2;
  /** Logical bytes (the sum of file sizes); kept under this name for the publish check. */
  size_bytes: number;
  logical_bytes: number;
  new_bytes: number;
  chunks: number;
  engine: string;
  settings_digest: string;
  created_at: string;
}

export function layerJson(
  hashed: Hashed,
  stored: StoredChunks,
  info: { engine: string; settingsDigest: string },
): LayerJsonFormat2 {
  const logical = logicalBytes(hashed.manifest);
  return {
    layer_id: hashed.layerId,
    format: 2,
    size_bytes: logical,
    logical_bytes: logical,
    new_bytes: stored.newBytes,
    chunks: stored.distinctChunks,
    engine: info.engine,
    settings_digest: info.settingsDigest,
    created_at: new Date().toISOString(),
  };
}

/**
 * Publishes a directory of small files under `<parent>/<name>` atomically: written into `.tmp-*`
 * then renamed. An existing `<name>` (identical content by construction) wins; ours is dropped.
 */
export async function publishDir(
  parent: string,
  name: string,
  files: Record<string, { data: string | Buffer; mode?: number }>,
  onTmp?: (tmpName: string, done: boolean) => void,
): Promise<void> {
  await mkdir(parent, { recursive: true });
  const tmpName = `.tmp-${randomBytes(8).toString("hex")}`;
  const tmp = join(parent, tmpName);
  onTmp?.(tmpName, false);
  try {
    await mkdir(tmp, { mode: 0o700 });
    for (const [file, { data, mode }] of Object.entries(files)) {
      await writeFile(join(tmp, file), data, mode === undefined ? {} : { mode });
    }
    try {
      await rename(tmp, join(parent, name));
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code !== "ENOTEMPTY" && code !== "EEXIST") throw err;
    }
  } finally {
    onTmp?.(tmpName, true);
    await rm(tmp, { recursive: true, force: true });
  }
}
