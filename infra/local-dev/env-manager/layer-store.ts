// Layer storage shared with snapshot-cache: `<data root>/layers/<layer_id>/` holds `layer.json` and
// `admin.secret`, plus either `manifest.json` (format 2: its chunks live once in `<data root>/chunks/`,
// see infra/local-dev/layers/) or `data.tar` (format 1). A layer directory is written under
// `.tmp-<random>` and renamed into place, so a crash mid-copy leaves no half layer visible.
// Format-2 layers are written in the background, one at a time, after the snapshot has answered.
import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Capture, Hashed } from "../layers/capture.ts";
import { ChunkCache } from "../layers/chunk-cache.ts";
import { ChunkStore } from "../layers/chunk-store.ts";
import { layerJson, MANIFEST_FILE, publishDir, storeChunks } from "../layers/writer.ts";
import { ADMIN_SECRET_FILE, type Image, readImage } from "../postgres/base-image.ts";
import { packDataDir } from "../postgres/pack.ts";
import { errorFields, type ServiceLog, serviceLog } from "../service-log.ts";

export interface LayerMetaFile {
  layer_id: string;
  size_bytes: number;
  engine: string;
  settings_digest: string;
  created_at: string;
  format?: number;
  logical_bytes?: number;
  new_bytes?: number;
}

export interface WrittenLayer {
  layerId: string;
  sizeBytes: number;
  /** Bytes the layer added to storage (format 1: the whole archive). */
  newBytes: number;
}

export type WriteState = "written" | "writing" | "failed" | "unknown";

export interface LayerInfo {
  engine: string;
  settingsDigest: string;
  adminPassword: string;
}

/**
 * Layers written within this window count as in use: the Worker has not published them yet (the
 * default; `publishGraceMs` in the config overrides it).
 */
export const PUBLISH_GRACE_MS = 10 * 60_000;

export class LayerStore {
  readonly dir: string;
  readonly chunks: ChunkStore;
  readonly cache: ChunkCache;
  /** `.tmp-*` names being written and layer ids recently written (id -> written at). */
  private readonly writing = new Set<string>();
  private readonly recent = new Map<string, number>();
  /** Background format-2 writes by layer id, and their outcome once settled. */
  private readonly pending = new Map<string, Promise<WrittenLayer>>();
  private readonly outcome = new Map<string, WrittenLayer | Error>();
  private queue: Promise<unknown> = Promise.resolve();
  /** Bytes of staging copies (on tmpfs, so memory) whose background write has not finished. */
  stagedBytes = 0;
  private readonly log: ServiceLog;
  private readonly publishGraceMs: number;

  constructor(
    dataDir: string,
    cacheBytes: number,
    log: ServiceLog = serviceLog("env-manager"),
    publishGraceMs = PUBLISH_GRACE_MS,
  ) {
    this.log = log;
    this.publishGraceMs = publishGraceMs;
    this.dir = join(dataDir, "layers");
    this.chunks = new ChunkStore(join(dataDir, "chunks"));
    this.cache = new ChunkCache(cacheBytes);
  }

  async open(layerId: string): Promise<{ image: Image; meta: LayerMetaFile } | null> {
    const dir = join(this.dir, layerId);
    try {
      const meta = JSON.parse(await readFile(join(dir, "layer.json"), "utf8")) as LayerMetaFile;
      const image = await readImage(dir, this.chunks);
      if (!image.manifest) await stat(join(dir, "data.tar"));
      return { image: image.manifest ? { ...image, archive: null } : image, meta };
    } catch {
      return null;
    }
  }

  /** Format 1: packs a stopped data directory into one tar; the id is the archive's SHA-256. */
  async write(dataDir: string, info: LayerInfo): Promise<WrittenLayer> {
    await mkdir(this.dir, { recursive: true });
    const tmpName = `.tmp-${randomBytes(8).toString("hex")}`;
    const tmp = join(this.dir, tmpName);
    this.writing.add(tmpName);
    try {
      await mkdir(tmp, { mode: 0o700 });
      const packed = await packDataDir(dataDir, join(tmp, "data.tar"));
      const layerId = packed.sha256;
      const meta: LayerMetaFile = {
        layer_id: layerId,
        size_bytes: packed.sizeBytes,
        engine: info.engine,
        settings_digest: info.settingsDigest,
        created_at: new Date().toISOString(),
        format: 1,
      };
      await writeFile(join(tmp, ADMIN_SECRET_FILE), `${info.adminPassword}\n`, { mode: 0o600 });
      await writeFile(join(tmp, "layer.json"), `${JSON.stringify(meta)}\n`);
      this.recent.set(layerId, Date.now());
      try {
        await rename(tmp, join(this.dir, layerId));
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code !== "ENOTEMPTY" && code !== "EEXIST") throw err;
        // Same content already stored.
      }
      return { layerId, sizeBytes: packed.sizeBytes, newBytes: packed.sizeBytes };
    } finally {
      this.writing.delete(tmpName);
      await rm(tmp, { recursive: true, force: true });
    }
  }

  /**
   * Format 2: queues the background write of a captured layer (new chunks, then the manifest) and
   * returns its promise. `fallback` is a store to copy chunks from that the layer store lacks (the
   * base image's). The staging directory is removed when the write ends, whatever the outcome.
   */
  enqueue(
    cap: Capture,
    hashed: Hashed,
    info: LayerInfo,
    fallback: ChunkStore | null,
  ): Promise<WrittenLayer> {
    const layerId = hashed.layerId;
    const earlier = this.pending.get(layerId);
    if (earlier) {
      void rm(cap.stagingDir, { recursive: true, force: true });
      return earlier;
    }
    this.recent.set(layerId, Date.now());
    this.outcome.delete(layerId);
    this.stagedBytes += cap.stagedBytes;
    const run = this.queue.then(async (): Promise<WrittenLayer> => {
      try {
        const stored = await storeChunks(cap, hashed, this.chunks, { fallback, cache: this.cache });
        const meta = layerJson(hashed, stored, info);
        await publishDir(
          this.dir,
          layerId,
          {
            [ADMIN_SECRET_FILE]: { data: `${info.adminPassword}\n`, mode: 0o600 },
            "layer.json": { data: `${JSON.stringify(meta)}\n` },
            // Renamed into place together with the rest, after every chunk above: manifest last.
            [MANIFEST_FILE]: { data: hashed.encoded },
          },
          (tmp, done) => (done ? this.writing.delete(tmp) : this.writing.add(tmp)),
        );
        return { layerId, sizeBytes: meta.logical_bytes, newBytes: meta.new_bytes };
      } finally {
        await rm(cap.stagingDir, { recursive: true, force: true });
        this.stagedBytes -= cap.stagedBytes;
      }
    });
    this.queue = run.catch(() => {});
    this.pending.set(layerId, run);
    run
      .then(
        (w) => this.outcome.set(layerId, w),
        (err: Error) => {
          this.log.error("layer_write_failed", { layer_id: layerId, ...errorFields(err) });
          this.outcome.set(layerId, err);
        },
      )
      .finally(() => this.pending.delete(layerId));
    return run;
  }

  /** Where a layer's write stands; waits up to `waitMs` for a write in progress to settle. */
  async writeState(
    layerId: string,
    waitMs: number,
  ): Promise<{ state: WriteState; newBytes?: number }> {
    const run = this.pending.get(layerId);
    if (run && waitMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, waitMs);
      });
      await Promise.race([
        run.then(
          () => {},
          () => {},
        ),
        timeout,
      ]);
      clearTimeout(timer);
    }
    // The outcome is recorded before `pending` forgets the write: look at it first.
    const out = this.outcome.get(layerId);
    if (out instanceof Error) return { state: "failed" };
    if (out) return { state: "written", newBytes: out.newBytes };
    if (this.pending.has(layerId)) return { state: "writing" };
    return (await this.open(layerId)) ? { state: "written" } : { state: "unknown" };
  }

  /** Resolves when every queued background write has settled (tests, shutdown). */
  async drain(): Promise<void> {
    await this.queue;
  }

  /** Names GC must not delete: unfinished copies and layers not yet published by the Worker. */
  busyNames(now = Date.now()): string[] {
    const out = [...this.writing, ...this.pending.keys()];
    for (const [id, at] of this.recent) {
      if (now - at > this.publishGraceMs) {
        this.recent.delete(id);
        this.outcome.delete(id);
      } else out.push(id);
    }
    return out;
  }
}
