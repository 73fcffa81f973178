// Boots an instance outside the pool, from a pool key (`layer:<id>` or a base image's key): finds
// the image and the engine it needs, then starts PostgreSQL on it. The create path and the pool's
// refill both use it; it keeps the layers it is unpacking so they count as in use meanwhile.
import type { Image } from "../postgres/base-image.ts";
import type { PgBinaries } from "../postgres/binaries.ts";
import type { RunAs } from "../postgres/os-user.ts";
import type { EngineBases } from "./engine-bases.ts";
import { EnvError } from "./errors.ts";
import { Instance, newInstanceId } from "./instance.ts";
import type { LayerStore } from "./layer-store.ts";

export interface InstanceBootDeps {
  layers: LayerStore;
  bases: EngineBases;
  runAs: RunAs | null;
  /** This process's own scratch directory (work-dir.ts). */
  workDir: string;
  layerFormat: 1 | 2;
}

export class InstanceBooter {
  private readonly deps: InstanceBootDeps;
  /** Layers being unpacked right now (in use although no instance is registered yet). */
  private readonly bootingLayers = new Set<string>();

  constructor(deps: InstanceBootDeps) {
    this.deps = deps;
  }

  /** The layers a boot is unpacking at this moment. */
  layersBooting(): Iterable<string> {
    return this.bootingLayers;
  }

  /**
   * A booted instance of `key`, or null when there is no such layer or base. A base image that
   * fails on its extensions is 422 extension_failed; any other failure is 503 boot_failed.
   */
  async boot(key: string, background = false): Promise<Instance | null> {
    const { layers, bases } = this.deps;
    let image: Image;
    let layerId: string | null = null;
    let binaries: PgBinaries;
    let digest: string;
    if (key.startsWith("layer:")) {
      layerId = key.slice(6);
      const layer = await layers.open(layerId);
      if (!layer) return null;
      image = layer.image;
      binaries = bases.binariesFor(layer.meta.engine);
      digest = layer.meta.settings_digest;
    } else {
      const source = bases.source(key);
      if (!source) return null;
      image = await bases.image(source).catch((err: Error & { code?: unknown }) => {
        // A server error while creating the extensions is the request's fault, not ours.
        if (
          typeof err.code === "string" &&
          /^[0-9A-Z]{5}$/.test(err.code) &&
          Object.keys(source.extensions).length > 0
        ) {
          throw new EnvError(422, "extension_failed", `from.base.extensions: ${err.message}`);
        }
        throw new EnvError(503, "boot_failed", `could not make the base image: ${err.message}`, 1);
      });
      binaries = source.binaries;
      digest = source.digest;
    }
    const engine = binaries.engine;
    const instance = new Instance(
      {
        binaries,
        runAs: this.deps.runAs,
        workDir: this.deps.workDir,
        chunkCache: layers.cache,
        preferTar: this.deps.layerFormat === 1,
      },
      newInstanceId(),
      image,
      { layerId, engine, settingsDigest: digest },
    );
    if (layerId) this.bootingLayers.add(layerId);
    try {
      await instance.boot(image, { background });
    } catch (err) {
      await instance.destroy();
      throw new EnvError(
        503,
        "boot_failed",
        `could not boot an instance: ${(err as Error).message}`,
        1,
      );
    } finally {
      if (layerId) this.bootingLayers.delete(layerId);
    }
    return instance;
  }
}
