// The shared layer storage as snapshot-cache sees it: `<data root>/layers/<layer_id>/` holds a
// PostgreSQL data directory plus `layer.json`, written by env-manager (into `.tmp-*`, then renamed).
// snapshot-cache never writes a layer; it reads `layer.json` and deletes whole directories, first
// renaming them to `.tmp-gc-*` so nobody ever sees a half-deleted layer.
import { randomBytes } from "node:crypto";
import { lstat, readdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";

/** The fields of `layer.json` snapshot-cache checks; env-manager may write more. */
export const LayerJson = z.looseObject({
  layer_id: z.string(),
  size_bytes: z.number().optional(),
  new_bytes: z.number().int().min(0).optional(),
  engine: z.string().optional(),
  settings_digest: z.string().optional(),
});
export type LayerJson = z.infer<typeof LayerJson>;

export type LayerDirEntry = {
  name: string;
  /** `.tmp-*`: an unfinished copy by env-manager or a deletion by snapshot-cache. */
  unfinished: boolean;
  /** `.tmp-gc-*`: a deletion by snapshot-cache that a crash interrupted; always safe to remove. */
  ours: boolean;
};

export class LayerStorage {
  readonly root: string;
  /** Format 2's chunk store, `<data root>/chunks/` (swept by GC, see chunk-gc.ts). */
  readonly chunksRoot: string;

  constructor(dataDir: string) {
    this.root = join(dataDir, "layers");
    this.chunksRoot = join(dataDir, "chunks");
  }

  dir(layerId: string): string {
    return join(this.root, layerId);
  }

  /** `layer.json` of a layer, or null when the directory or file is missing or unreadable. */
  async readLayerJson(layerId: string): Promise<LayerJson | null> {
    try {
      const text = await readFile(join(this.dir(layerId), "layer.json"), "utf8");
      const parsed = LayerJson.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }

  async exists(name: string): Promise<boolean> {
    try {
      return (await lstat(join(this.root, name))).isDirectory();
    } catch {
      return false;
    }
  }

  /** Directories under the layer root (one readdir, no per-entry stat). */
  async list(): Promise<LayerDirEntry[]> {
    try {
      const entries = await readdir(this.root, { withFileTypes: true });
      return entries
        .filter((e) => e.isDirectory())
        .map((e) => ({
          name: e.name,
          unfinished: e.name.startsWith(".tmp-"),
          ours: e.name.startsWith(".tmp-gc-"),
        }));
    } catch {
      return [];
    }
  }

  /** Modification time of a directory under the layer root; null when it is gone. */
  async mtimeMs(name: string): Promise<number | null> {
    try {
      return (await lstat(join(this.root, name))).mtimeMs;
    } catch {
      return null;
    }
  }

  /** Bytes under a directory (for GC reports of directories no `layer.json` describes). */
  async du(name: string): Promise<number> {
    let total = 0;
    const walk = async (path: string): Promise<void> => {
      const st = await lstat(path);
      if (!st.isDirectory()) {
        total += st.size;
        return;
      }
      for (const child of await readdir(path)) await walk(join(path, child));
    };
    try {
      await walk(join(this.root, name));
    } catch {
      // a concurrent change: the figure is informational only
    }
    return total;
  }

  /** Makes the directory vanish atomically (rename), then removes it. */
  async remove(name: string): Promise<void> {
    const from = join(this.root, name);
    const to = join(this.root, `.tmp-gc-${randomBytes(6).toString("hex")}`);
    try {
      await rename(from, to);
    } catch {
      await rm(from, { recursive: true, force: true });
      return;
    }
    await rm(to, { recursive: true, force: true });
  }
}
