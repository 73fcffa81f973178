// Layer storage shared with snapshot-cache: `<data root>/layers/<layer_id>/` holds `data.tar` (the
// packed data directory), `layer.json` and `admin.secret`. env-manager writes a layer under
// `.tmp-<random>` and renames it into place, so a crash mid-copy leaves no half layer visible;
// snapshot-cache deletes layers (GC) after asking GET /v1/layers/in-use.
import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ADMIN_SECRET_FILE, type Image, readImage } from "../postgres/base-image.ts";
import { packDataDir } from "../postgres/pack.ts";

export interface LayerMetaFile {
  layer_id: string;
  size_bytes: number;
  engine: string;
  settings_digest: string;
  created_at: string;
}

export interface WrittenLayer {
  layerId: string;
  sizeBytes: number;
}

/** Layers written within this window count as in use: the Worker has not published them yet. */
export const PUBLISH_GRACE_MS = 10 * 60_000;

export class LayerStore {
  readonly dir: string;
  /** `.tmp-*` names being written and layer ids recently written (id -> written at). */
  private readonly writing = new Set<string>();
  private readonly recent = new Map<string, number>();

  constructor(layersDir: string) {
    this.dir = layersDir;
  }

  async open(layerId: string): Promise<{ image: Image; meta: LayerMetaFile } | null> {
    const dir = join(this.dir, layerId);
    try {
      const meta = JSON.parse(await readFile(join(dir, "layer.json"), "utf8")) as LayerMetaFile;
      await stat(join(dir, "data.tar"));
      return { image: await readImage(dir), meta };
    } catch {
      return null;
    }
  }

  /**
   * Packs a stopped data directory into a new layer. The id is the SHA-256 of the archive, computed
   * while it streams (no second read); identical bytes give the same id and the second copy is dropped.
   */
  async write(
    dataDir: string,
    info: { engine: string; settingsDigest: string; adminPassword: string },
  ): Promise<WrittenLayer> {
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
      return { layerId, sizeBytes: packed.sizeBytes };
    } finally {
      this.writing.delete(tmpName);
      await rm(tmp, { recursive: true, force: true });
    }
  }

  /** Names GC must not delete: unfinished copies and layers not yet published by the Worker. */
  busyNames(now = Date.now()): string[] {
    const out = [...this.writing];
    for (const [id, at] of this.recent) {
      if (now - at > PUBLISH_GRACE_MS) this.recent.delete(id);
      else out.push(id);
    }
    return out;
  }
}
