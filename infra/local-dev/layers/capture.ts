// Snapshot, part one (the server is stopped or frozen): walk the data directory, and copy only the
// files whose size or mtime differ from the instance's file index into a staging directory on tmpfs.
// Part two (the server is already starting again): hash the staged files into chunks and build the
// manifest, whose hash is the layer id. Nothing here compresses or writes to the chunk store.
import { createHash } from "node:crypto";
import {
  closeSync,
  copyFileSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readlinkSync,
  readSync,
} from "node:fs";
import { join } from "node:path";
import { setImmediate as yieldLoop } from "node:timers/promises";
import type { Compression } from "./chunk-store.ts";
import { excluded, type FileIndex, type FileState, UNKNOWN_MTIME_NS } from "./file-index.ts";
import { CHUNK_SIZE, encodeManifest, LAYER_FORMAT, layerIdOf, type Manifest } from "./manifest.ts";

export interface CapturedFile {
  path: string;
  mode: number;
  size: number;
  /** The mtime the instance's file index remembers (UNKNOWN_MTIME_NS: compare the file next time). */
  mtimeNs: bigint;
  /** Chunk hashes reused from the index (unchanged file), or null: staged, to be hashed. */
  chunks: string[] | null;
}

export interface Capture {
  dirs: { path: string; mode: number }[];
  links: { path: string; target: string }[];
  files: CapturedFile[];
  stagingDir: string;
  stagedBytes: number;
  stagedFiles: number;
}

export interface CaptureOptions {
  /** Paths (relative to the data directory) not to carry, e.g. recycled WAL segments. */
  skip?: ReadonlySet<string>;
  /**
   * The file-system clock when a running cluster was frozen (online-snapshot.ts). A file with an
   * mtime at or after it may be written again after the thaw within the same clock tick, keeping
   * size and mtime while its content changes: the index remembers no mtime for it (git's "racily
   * clean" entries), so the next snapshot copies it again instead of reusing stale chunks.
   */
  racyFromNs?: bigint;
  /** Refuse (CaptureTooLargeError) once the files walked so far hold more bytes than this. */
  maxBytes?: number;
}

export class CaptureTooLargeError extends Error {
  readonly maxBytes: number;
  /** Bytes walked when the walk stopped: the directory holds at least this many. */
  readonly walkedBytes: number;
  constructor(maxBytes: number, walkedBytes: number) {
    super(`the data directory holds more than ${maxBytes} bytes`);
    this.maxBytes = maxBytes;
    this.walkedBytes = walkedBytes;
  }
}

/** Walks a stopped cluster's data directory and stages the files that changed since `index`. */
export function captureSync(
  dataDir: string,
  stagingDir: string,
  index: FileIndex | null,
  opts: CaptureOptions = {},
): Capture {
  const out: Capture = {
    dirs: [],
    links: [],
    files: [],
    stagingDir,
    stagedBytes: 0,
    stagedFiles: 0,
  };
  mkdirSync(stagingDir, { recursive: true, mode: 0o700 });
  let total = 0;
  const walk = (rel: string): void => {
    const abs = rel === "" ? dataDir : join(dataDir, rel);
    for (const entry of readdirSync(abs, { withFileTypes: true })) {
      const path = rel === "" ? entry.name : `${rel}/${entry.name}`;
      if (excluded(path) || opts.skip?.has(path)) continue;
      const st = lstatSync(join(dataDir, path), { bigint: true });
      const mode = Number(st.mode & 0o7777n);
      if (st.isDirectory()) {
        out.dirs.push({ path, mode });
        mkdirSync(join(stagingDir, path), { mode: 0o700 });
        walk(path);
      } else if (st.isSymbolicLink()) {
        out.links.push({ path, target: readlinkSync(join(dataDir, path)) });
      } else if (st.isFile()) {
        const size = Number(st.size);
        total += size;
        // Checked as the walk goes (not by a walk of its own first): what is staged before the
        // refusal stays under the limit, and a snapshot within it walks the directory once.
        if (opts.maxBytes !== undefined && total > opts.maxBytes) {
          throw new CaptureTooLargeError(opts.maxBytes, total);
        }
        const known = index?.files.get(path);
        const same = known && known.size === size && known.mtimeNs === st.mtimeNs;
        if (!same) {
          copyFileSync(join(dataDir, path), join(stagingDir, path));
          out.stagedBytes += size;
          out.stagedFiles++;
        }
        out.files.push({
          path,
          mode,
          size,
          mtimeNs:
            opts.racyFromNs !== undefined && st.mtimeNs >= opts.racyFromNs
              ? UNKNOWN_MTIME_NS
              : st.mtimeNs,
          chunks: same ? known.chunks : null,
        });
      }
      // Sockets, FIFOs and devices have no place in a data directory: not copied.
    }
  };
  walk("");
  return out;
}

const READ_BLOCK = 64 * CHUNK_SIZE;

/** Calls `fn` for every CHUNK_SIZE piece of a file (the last one may be shorter), in order. */
export async function forEachChunk(
  file: string,
  size: number,
  fn: (chunk: Buffer, index: number) => void | Promise<void>,
): Promise<void> {
  if (size === 0) return;
  const fd = openSync(file, "r");
  try {
    const block = Buffer.allocUnsafe(
      Math.min(READ_BLOCK, Math.ceil(size / CHUNK_SIZE) * CHUNK_SIZE),
    );
    let offset = 0;
    let index = 0;
    while (offset < size) {
      const want = Math.min(block.length, size - offset);
      let got = 0;
      while (got < want) {
        const n = readSync(fd, block, got, want - got, offset + got);
        if (n === 0) throw new Error(`${file}: shorter than ${size} bytes`);
        got += n;
      }
      for (let at = 0; at < got; at += CHUNK_SIZE) {
        await fn(block.subarray(at, Math.min(at + CHUNK_SIZE, got)), index++);
      }
      offset += got;
    }
  } finally {
    closeSync(fd);
  }
}

export function chunkHash(chunk: Buffer): string {
  return createHash("sha256").update(chunk).digest("hex");
}

export interface Hashed {
  manifest: Manifest;
  encoded: Buffer;
  layerId: string;
  /** The new file index of the instance (sizes and mtimes as captured, chunk lists complete). */
  files: Map<string, FileState>;
}

/** Hashes the staged files (yielding to the event loop between files) and builds the manifest. */
export async function hashCapture(cap: Capture, compression: Compression): Promise<Hashed> {
  const files = new Map<string, FileState>();
  const manifestFiles: Manifest["files"] = [];
  for (const f of cap.files) {
    let chunks = f.chunks;
    if (chunks === null) {
      const list: string[] = [];
      await forEachChunk(join(cap.stagingDir, f.path), f.size, (c) => {
        list.push(chunkHash(c));
      });
      chunks = list;
      await yieldLoop();
    }
    files.set(f.path, { size: f.size, mtimeNs: f.mtimeNs, chunks });
    manifestFiles.push({ path: f.path, mode: f.mode, size: f.size, chunks });
  }
  const manifest: Manifest = {
    format: LAYER_FORMAT,
    chunk_size: CHUNK_SIZE,
    compression,
    dirs: cap.dirs,
    files: manifestFiles,
    links: cap.links,
  };
  const encoded = encodeManifest(manifest);
  return { manifest, encoded, layerId: layerIdOf(encoded), files };
}
