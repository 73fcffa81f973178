// Base images per engine: turns a request's `from.base` (engine label, settings digest, extensions)
// into a source key for the pool, checks it against what the engine offers (422 with the field at
// fault), and makes the base image of a key on first use. Also the per-engine extension catalog
// /healthz lists (what pg_available_extension_versions says, read once per engine).

import {
  checkExtensions,
  type EngineOffer,
  type ExtensionOffer,
  extensionsKey,
  offeredVersions,
} from "../../../src/clients/contracts/engines.ts";
import type { BaseSpec } from "../../../src/clients/contracts/env-manager.ts";
import { ChunkCache } from "../layers/chunk-cache.ts";
import { withAdmin } from "../postgres/admin.ts";
import { ensureBaseImage, type Image } from "../postgres/base-image.ts";
import type { PgBinaries } from "../postgres/binaries.ts";
import type { EngineSet } from "../postgres/engines.ts";
import { readExtensionFiles } from "../postgres/extension-files.ts";
import { readExtensionOffers } from "../postgres/extensions.ts";
import type { RunAs } from "../postgres/os-user.ts";
import { settingsDigest } from "../postgres/settings.ts";
import { EnvError } from "./errors.ts";
import { Instance, newInstanceId } from "./instance.ts";

export interface BaseSource {
  binaries: PgBinaries;
  digest: string;
  extensions: Readonly<Record<string, string>>;
}

export interface EngineBasesDeps {
  engines: EngineSet;
  runAs: RunAs | null;
  basesDir: string;
  workDir: string;
}

export class EngineBases {
  readonly engines: EngineSet;
  private readonly deps: EngineBasesDeps;
  /** Source keys handed out so far (the pool boots by key). */
  private readonly sources = new Map<string, BaseSource>();
  private readonly catalogs = new Map<string, Promise<Record<string, ExtensionOffer>>>();

  constructor(deps: EngineBasesDeps) {
    this.deps = deps;
    this.engines = deps.engines;
  }

  /** The pool's key of a base: `base:<engine>:<digest>[:<name=version,...>]`. */
  key(binaries: PgBinaries = this.engines.default, extensions: Record<string, string> = {}) {
    const digest = settingsDigest(binaries.major);
    const ext = extensionsKey(extensions);
    const key = `base:${binaries.engine}:${digest}${ext ? `:${ext}` : ""}`;
    if (!this.sources.has(key)) this.sources.set(key, { binaries, digest, extensions });
    return key;
  }

  /** Checks a request's base against the engines and their extensions; its source key. */
  async resolve(spec: BaseSpec): Promise<string> {
    const binaries = this.engines.get(spec.engine);
    if (!binaries) throw unsupportedEngine(spec.engine, this.engines);
    const digest = settingsDigest(binaries.major);
    if (spec.settings_digest !== undefined && spec.settings_digest !== digest) {
      throw new EnvError(
        400,
        "unknown_settings",
        `from.base.settings_digest: the settings digest of ${binaries.engine} is ${digest}`,
      );
    }
    const extensions = spec.extensions ?? {};
    if (Object.keys(extensions).length > 0) {
      const problem = checkExtensions(
        { version: binaries.version, extensions: await this.catalog(binaries) },
        extensions,
      );
      if (problem) throw new EnvError(422, problem.code, `from.base.${problem.message}`);
    }
    return this.key(binaries, extensions);
  }

  /** The source behind a key `key()` or `resolve()` returned, or undefined. */
  source(key: string): BaseSource | undefined {
    return this.sources.get(key);
  }

  /** The binaries a layer made on `engine` boots with (a layer never crosses engines). */
  binariesFor(engine: string): PgBinaries {
    const binaries = this.engines.get(engine);
    if (!binaries) throw unsupportedEngine(engine, this.engines);
    return binaries;
  }

  image(source: BaseSource): Promise<Image> {
    return ensureBaseImage({
      binaries: source.binaries,
      runAs: this.deps.runAs,
      basesDir: this.deps.basesDir,
      workDir: this.deps.workDir,
      extensions: source.extensions,
    });
  }

  /** What every engine offers (each engine's catalog is read on first use). */
  async offers(): Promise<EngineOffer[]> {
    const out: EngineOffer[] = [];
    for (const b of this.engines.all) {
      out.push({
        engine: b.engine,
        version: b.version,
        major: b.major,
        settings_digest: settingsDigest(b.major),
        default: b === this.engines.default,
        extensions: await this.catalog(b),
      });
    }
    return out;
  }

  /**
   * The extensions `binaries` offers: read from its extension directory (instant), or, when that is
   * not where we look (a PG_BIN_DIR layout we do not know), asked of a booted server. Once each.
   */
  catalog(binaries: PgBinaries): Promise<Record<string, ExtensionOffer>> {
    let pending = this.catalogs.get(binaries.engine);
    if (!pending) {
      pending = readExtensionFiles(binaries.binDir).then(
        (offers) => offers ?? this.readCatalog(binaries),
      );
      this.catalogs.set(binaries.engine, pending);
      pending.catch(() => this.catalogs.delete(binaries.engine));
    }
    return pending;
  }

  /** Boots the engine's plain base image once and asks the server. */
  private async readCatalog(binaries: PgBinaries): Promise<Record<string, ExtensionOffer>> {
    const image = await this.image({
      binaries,
      digest: settingsDigest(binaries.major),
      extensions: {},
    });
    const instance = new Instance(
      // A one-off boot: from the base's tar, no chunk cache.
      {
        binaries,
        runAs: this.deps.runAs,
        workDir: this.deps.workDir,
        chunkCache: new ChunkCache(0),
        preferTar: true,
      },
      newInstanceId(),
      image,
      { layerId: null, engine: binaries.engine, settingsDigest: settingsDigest(binaries.major) },
    );
    try {
      await instance.boot(image, { background: true });
      return await withAdmin(instance.socketDir, instance.adminPassword, readExtensionOffers);
    } finally {
      await instance.destroy();
    }
  }
}

function unsupportedEngine(engine: string, engines: EngineSet): EnvError {
  return new EnvError(
    422,
    "unsupported_engine",
    `from.base.engine: ${engine} is not available; available: ${offeredVersions(engines.all)} (as postgres-<version>)`,
  );
}
