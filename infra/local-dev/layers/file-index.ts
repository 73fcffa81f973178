// What an instance knows about the files of its data directory: for each file the size and mtime
// it had when the instance was booted from a layer or last snapshotted, and that file's chunk
// hashes then. A file whose size and mtime still match is unchanged and reuses the chunk list
// without being read (PostgreSQL changes a file only by writing it, which moves its mtime).
import type { ChunkStore } from "./chunk-store.ts";

export interface FileState {
  size: number;
  mtimeNs: bigint;
  chunks: string[];
}

export interface FileIndex {
  /** Where the chunks named here are stored (a base image's own store, or the layer store). */
  store: ChunkStore;
  files: Map<string, FileState>;
}

/** An mtime no file has: the file is copied and hashed at the next snapshot whatever it holds. */
export const UNKNOWN_MTIME_NS = -1n;

/** Files of a stopped cluster that a copy must not carry (runtime leftovers). */
export function excluded(rel: string): boolean {
  if (rel === "postmaster.pid" || rel === "postmaster.opts") return true;
  if (rel.startsWith("pg_stat_tmp/") || rel.startsWith("pg_dynshmem/")) return true;
  return !rel.includes("/") && rel.endsWith(".log");
}
