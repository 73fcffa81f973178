// The content-addressed chunk store: `<root>/<first 2 hex>/<sha256 of the raw chunk>.zst`, each
// chunk compressed on its own (node:zlib zstd; gzip where Node has no zstd) and written once,
// whichever layer it belongs to. Writes go to a temporary name and are renamed into place, so a
// chunk file is either complete or absent. Reusing a stored chunk touches its mtime: GC sweeps only
// unreferenced chunks older than its grace period, which covers layers still being written.
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, utimesSync } from "node:fs";
import { copyFile, mkdir, readFile, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import * as zlib from "node:zlib";
import { CHUNK_SIZE } from "./manifest.ts";

export type Compression = "zstd" | "gzip";

/** zstd when this Node has it (22.15+), else gzip. */
export const DEFAULT_COMPRESSION: Compression =
  typeof zlib.zstdCompress === "function" ? "zstd" : "gzip";

const zstdCompress =
  typeof zlib.zstdCompress === "function" ? promisify(zlib.zstdCompress) : undefined;
const gzip = promisify(zlib.gzip);
const zstdDecompress =
  typeof zlib.zstdDecompress === "function" ? promisify(zlib.zstdDecompress) : undefined;
const gunzip = promisify(zlib.gunzip);

/** zstd level 1: ~4x faster than the default 3 on cluster pages for a few percent more bytes. */
const ZSTD_LEVEL = 1;
/**
 * A 128 KiB window (a chunk is 64 KiB): the same output, but each decompression allocates a small
 * window instead of level 1's default 512 KiB; Node makes a fresh context per call, so that
 * allocation is most of a chunk's decompression cost (measured: ~2x less CPU per chunk).
 */
const ZSTD_WINDOW_LOG = 17;

export function compress(raw: Buffer, how: Compression): Promise<Buffer> {
  if (how === "zstd" && zstdCompress) {
    return zstdCompress(raw, {
      params: {
        [zlib.constants.ZSTD_c_compressionLevel]: ZSTD_LEVEL,
        [zlib.constants.ZSTD_c_windowLog]: ZSTD_WINDOW_LOG,
      },
    });
  }
  return gzip(raw, { level: 1 });
}

/**
 * Output buffers of a whole chunk: with zlib's default 16 KiB a 64 KiB chunk was decoded into four
 * growing buffers and concatenated, which cost 5-10x the CPU of the decoding itself (measured:
 * 0.3-1.1 ms against 0.05-0.12 ms per zstd chunk).
 */
const DECODE_BUFFER = { chunkSize: CHUNK_SIZE };

export function decompressSync(data: Buffer, how: Compression): Buffer {
  return how === "zstd"
    ? zlib.zstdDecompressSync(data, DECODE_BUFFER)
    : zlib.gunzipSync(data, DECODE_BUFFER);
}

/** As decompressSync, on libuv's thread pool: several chunks decode at once, on every core. */
export function decompress(data: Buffer, how: Compression): Promise<Buffer> {
  if (how === "zstd") {
    if (!zstdDecompress) throw new Error("this Node has no zstd: cannot read a zstd chunk");
    return zstdDecompress(data, DECODE_BUFFER);
  }
  return gunzip(data, DECODE_BUFFER);
}

const EXT: Record<Compression, string> = { zstd: "zst", gzip: "gz" };
export const CHUNK_FILE = /^([0-9a-f]{64})\.(zst|gz)$/;

export class ChunkStore {
  readonly root: string;
  readonly compression: Compression;
  private readonly prefixes = new Set<string>();

  constructor(root: string, compression: Compression = DEFAULT_COMPRESSION) {
    this.root = root;
    this.compression = compression;
  }

  /** Where this store writes a chunk (in its own compression). */
  path(hash: string, how: Compression = this.compression): string {
    return join(this.root, hash.slice(0, 2), `${hash}.${EXT[how]}`);
  }

  /**
   * The compression a stored chunk has, or null. A store written by a Node without zstd holds
   * gzip chunks; either is read.
   */
  found(hash: string): Compression | null {
    if (existsSync(this.path(hash))) return this.compression;
    const other: Compression = this.compression === "zstd" ? "gzip" : "zstd";
    return existsSync(this.path(hash, other)) ? other : null;
  }

  has(hash: string): boolean {
    return this.found(hash) !== null;
  }

  /**
   * Stores `raw` under `hash` unless present; returns the compressed bytes written (0 when the chunk
   * was already stored, in which case its mtime is refreshed so GC keeps it).
   */
  async put(hash: string, raw: Buffer): Promise<number> {
    if (await this.touch(hash)) return 0;
    return this.writeCompressed(hash, await compress(raw, this.compression));
  }

  /** Copies a chunk from another store (recompressed if its compression differs); bytes written. */
  async importFrom(other: ChunkStore, hash: string): Promise<number> {
    if (await this.touch(hash)) return 0;
    const how = other.found(hash);
    if (how !== this.compression)
      return this.writeCompressed(hash, await compress(other.readSync(hash), this.compression));
    const dir = await this.prefixDir(hash);
    const tmp = join(dir, `.tmp-${randomBytes(6).toString("hex")}`);
    await copyFile(other.path(hash), tmp);
    await rename(tmp, this.path(hash));
    return (await stat(this.path(hash))).size;
  }

  /** The raw bytes of a chunk (throws when it is missing). */
  readSync(hash: string): Buffer {
    // Read first, look for the other compression only if that fails: one syscall less per chunk
    // on a cold boot than checking existence first.
    let data: Buffer;
    try {
      data = readFileSync(this.path(hash));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      const how = this.found(hash);
      if (!how) throw new Error(`chunk ${hash} is missing from ${this.root}`);
      return decompressSync(readFileSync(this.path(hash, how)), how);
    }
    return decompressSync(data, this.compression);
  }

  /** As readSync, reading and decoding off the main thread (cold boots fetch chunks in parallel). */
  async read(hash: string): Promise<Buffer> {
    let data: Buffer;
    try {
      data = await readFile(this.path(hash));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      const how = this.found(hash);
      if (!how) throw new Error(`chunk ${hash} is missing from ${this.root}`);
      return decompress(await readFile(this.path(hash, how)), how);
    }
    return decompress(data, this.compression);
  }

  /** Refreshes the mtime of a chunk stored in this store's compression; false if absent. */
  private async touch(hash: string): Promise<boolean> {
    const now = new Date();
    try {
      await utimes(this.path(hash), now, now);
      return true;
    } catch {
      return false;
    }
  }

  /** Refreshes the mtime of a stored chunk in either compression; false if absent. */
  touchSync(hash: string): boolean {
    const how = this.found(hash);
    if (!how) return false;
    const now = new Date();
    try {
      utimesSync(this.path(hash, how), now, now);
      return true;
    } catch {
      return false;
    }
  }

  private async writeCompressed(hash: string, data: Buffer): Promise<number> {
    const dir = await this.prefixDir(hash);
    const tmp = join(dir, `.tmp-${randomBytes(6).toString("hex")}`);
    try {
      await writeFile(tmp, data);
      await rename(tmp, this.path(hash));
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    return data.length;
  }

  private async prefixDir(hash: string): Promise<string> {
    const prefix = hash.slice(0, 2);
    const dir = join(this.root, prefix);
    if (!this.prefixes.has(prefix)) {
      await mkdir(dir, { recursive: true });
      this.prefixes.add(prefix);
    }
    return dir;
  }
}
