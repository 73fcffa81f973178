// The env-manager's front: creates instances (pool first, then layer or base image), snapshots
// them into layer storage, restarts, cancels and destroys them, and answers which layers are in
// use. HTTP-free: server.ts and the tests call it directly. The instance table with its cap and
// TTL reaper (instance-table.ts), fresh boots (instance-boot.ts) and what a failed instance
// operation answers (instance-guard.ts) live in their own files.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type {
  BootSource,
  InstanceInfo,
  InstanceQuota,
  InstanceSource,
  InstanceSummary,
  SnapshotResponse,
} from "../../../src/clients/contracts/env-manager.ts";
import type { PgBinaries } from "../postgres/binaries.ts";
import { findEngines } from "../postgres/engines.ts";
import { ensureRunAsUser, type RunAs } from "../postgres/os-user.ts";
import { settingsDigest } from "../postgres/settings.ts";
import { errorFields, type ServiceLog, serviceLog } from "../service-log.ts";
import type { EnvManagerConfig } from "./config.ts";
import { EngineBases } from "./engine-bases.ts";
import { EnvError } from "./errors.ts";
import type { Instance } from "./instance.ts";
import { InstanceBooter } from "./instance-boot.ts";
import { guardInstanceOperation } from "./instance-guard.ts";
import { describeInstance, instanceIdOfAddress } from "./instance-info.ts";
import { InstanceTable, type LiveInstance } from "./instance-table.ts";
import { LatestLayerPreboot } from "./layer-preboot.ts";
import { takeSnapshot } from "./layer-snapshot.ts";
import { LayerStore } from "./layer-store.ts";
import { WarmPool } from "./pool.ts";
import { QuotaWatch, refuseOverQuota } from "./quota-watch.ts";
import { ReadySessions } from "./ready-sessions.ts";
import { claimWorkDir, releaseWorkDir, watchOwnerDeath } from "./work-dir.ts";

export interface Created {
  instance: Instance;
  boot: { source: BootSource; ms: number };
}

export class EnvManager {
  readonly cfg: EnvManagerConfig;
  /** The default engine's binaries and settings digest (the newest engine). */
  readonly binaries: PgBinaries;
  readonly digest: string;
  /** Every engine: base images, their keys and extension catalogs (engine-bases.ts). */
  readonly bases: EngineBases;
  readonly layers: LayerStore;
  readonly pool: WarmPool;
  private readonly preboot: LatestLayerPreboot;
  /** Authenticated backend sessions kept ready for the proxy, one per instance. */
  readonly sessions = new ReadySessions();
  /** host:port of the WebSocket proxy, set by the HTTP server once it listens. */
  wsProxy = "";
  /** This process's own scratch directory, `<cfg.workDir>/<pid>`. */
  private readonly workDir: string;
  /** Stops this process's postmasters if it dies without closing (work-dir.ts). */
  private readonly deathWatch: ReturnType<typeof watchOwnerDeath>;
  private readonly live: InstanceTable;
  private readonly booter: InstanceBooter;
  private pending = 0;
  private closing = false;
  private readonly quotas: QuotaWatch;
  private readonly log: ServiceLog;

  private constructor(
    cfg: EnvManagerConfig,
    bases: EngineBases,
    runAs: RunAs | null,
    workDir: string,
    log: ServiceLog,
  ) {
    this.cfg = cfg;
    this.log = log;
    this.workDir = workDir;
    this.deathWatch = watchOwnerDeath(workDir);
    this.bases = bases;
    this.binaries = bases.engines.default;
    this.digest = settingsDigest(this.binaries.major);
    this.layers = new LayerStore(cfg.dataDir, cfg.chunkCacheBytes, log, cfg.publishGraceMs);
    this.booter = new InstanceBooter({
      layers: this.layers,
      bases,
      runAs,
      workDir,
      layerFormat: cfg.layerFormat,
    });
    // A pooled instance waits with a ready session (and its type names known) for its first client.
    this.pool = new WarmPool(
      cfg.pool,
      async (key) => {
        const inst = await this.booter.boot(key, true);
        if (inst) await this.sessions.prestart(inst);
        return inst;
      },
      (key, err) => log.warn("pool_boot_failed", { source: key, ...errorFields(err) }),
    );
    this.preboot = new LatestLayerPreboot({
      prefer: (key) => this.pool.prefer(key),
      delayMs: cfg.pool.layerPrebootDelayMs ?? 3_000,
    });
    this.live = new InstanceTable({
      maxInstances: cfg.maxInstances,
      reapIntervalMs: cfg.reapIntervalMs,
    });
    this.quotas = new QuotaWatch(() => this.live.instances(), cfg.quota.watchIntervalMs);
  }

  /**
   * Finds the engines, ensures the OS user, directories and the default engine's base image (made
   * once, cached); other engines' base images are made when first asked for.
   */
  static async start(
    cfg: EnvManagerConfig,
    log: ServiceLog = serviceLog("env-manager"),
  ): Promise<EnvManager> {
    const engines = await findEngines();
    const runAs = await ensureRunAsUser();
    await mkdir(cfg.dataDir, { recursive: true });
    await mkdir(join(cfg.dataDir, "layers"), { recursive: true });
    const workDir = await claimWorkDir(cfg.workDir);
    const bases = new EngineBases({ engines, runAs, basesDir: cfg.basesDir, workDir });
    const defaultKey = bases.key();
    await bases.image(bases.source(defaultKey)!);
    const mgr = new EnvManager(cfg, bases, runAs, workDir, log);
    if (cfg.pool.prewarmBase) {
      mgr.pool.noteUse(mgr.baseKey());
      mgr.pool.kick();
    }
    return mgr;
  }

  /** The pool key of the default engine's plain base image. */
  baseKey(): string {
    return this.bases.key();
  }

  async create(
    from: InstanceSource,
    ttlMs = this.cfg.defaultTtlMs,
    owner: string | null = null,
    quota: InstanceQuota = {},
  ): Promise<Created> {
    if (this.closing) throw new EnvError(503, "unavailable", "env-manager is shutting down", 5);
    const key = "layer_id" in from ? `layer:${from.layer_id}` : await this.bases.resolve(from.base);
    this.live.admit(this.pending);
    const t0 = performance.now();
    this.pending++;
    try {
      const pooled = this.pool.take(key);
      let instance: Instance;
      let source: BootSource;
      if (pooled) {
        instance = pooled;
        source = "pool";
      } else {
        const booted = await this.booter.boot(key);
        if (!booted)
          throw new EnvError(404, "layer_not_found", `from.layer_id: no layer ${key.slice(6)}`);
        instance = booted;
        source = key.startsWith("layer:") ? "layer" : "base";
        // The caller connects next: have a session opening for it meanwhile.
        void this.sessions.prestart(instance);
      }
      instance.maxDataBytes = Math.min(
        this.cfg.quota.maxDataBytes,
        quota.max_data_bytes ?? Number.POSITIVE_INFINITY,
      );
      this.live.register(instance, ttlMs, owner);
      return { instance, boot: { source, ms: performance.now() - t0 } };
    } finally {
      this.pending--;
    }
  }

  get(id: string): LiveInstance {
    return this.live.get(id);
  }

  /** Every live instance and its owner (GET /v1/instances). */
  list(): InstanceSummary[] {
    return this.live.list();
  }

  info(id: string): InstanceInfo {
    const { instance, ...times } = this.get(id);
    const info = describeInstance(instance, times, this.wsProxy);
    const typeNames = this.sessions.typeNames(instance);
    if (typeNames) info.connection.type_names = typeNames;
    return info;
  }

  /** Snapshots an instance into a new layer (layer-snapshot.ts: both formats). */
  async snapshot(id: string, opts: { background?: boolean } = {}): Promise<SnapshotResponse> {
    const { instance } = this.get(id);
    // Format 2 checks max_layer_bytes during its own walk of the data directory (capture.ts).
    const format2 = this.cfg.layerFormat === 2;
    await refuseOverQuota(instance, format2 ? null : this.cfg.quota.maxLayerBytes);
    this.preboot.snapshotStarted(id);
    const { response, stored, way } = await takeSnapshot(
      {
        layers: this.layers,
        format: this.cfg.layerFormat,
        online: this.cfg.onlineSnapshots,
        maxLayerBytes: this.cfg.quota.maxLayerBytes,
        stagingBudgetBytes: this.cfg.stagingBudgetBytes,
        workDir: this.workDir,
        guard: (fn) => this.guard(instance, fn),
      },
      instance,
      opts,
    );
    this.log.info("snapshot", {
      instance: id,
      layer: response.layer_id,
      ms: Math.round(response.ms),
      ...(way.online ? { online: true, frozen_ms: Number(way.frozenMs.toFixed(1)) } : way),
    });
    // The next job with this tail boots from this layer: have one ready for it, once it is stored
    // (a pool refill of a layer still being written would find nothing) and only if it is the
    // instance's latest (layer-preboot.ts: a job with a layer per step).
    stored.then(
      () => this.preboot.stored(id, response.layer_id),
      () => {},
    );
    return response;
  }

  /** Where a layer's background write stands (waits up to `waitMs` for it to settle). */
  layerWriteState(layerId: string, waitMs: number) {
    return this.layers.writeState(layerId, waitMs);
  }

  async restart(id: string): Promise<number> {
    const { instance } = this.get(id);
    const t0 = performance.now();
    await this.guard(instance, () => instance.restart());
    return performance.now() - t0;
  }

  cancel(id: string): Promise<number> {
    const { instance } = this.get(id);
    return this.guard(instance, () => instance.cancel());
  }

  destroy(id: string): Promise<boolean> {
    return this.live.destroy(id);
  }

  /** The instance a proxied `host:port` names, if it is one of ours. */
  resolveAddress(address: string): Instance | null {
    const id = instanceIdOfAddress(address);
    return id ? (this.live.find(id)?.instance ?? null) : null;
  }

  /** Layers that must not be deleted: sources of live or pooled instances, copies in progress. */
  layersInUse(): string[] {
    const ids = new Set<string>(this.layers.busyNames());
    for (const instance of this.live.instances()) {
      if (instance.source.layerId) ids.add(instance.source.layerId);
    }
    for (const key of this.pool.sources()) {
      if (key.startsWith("layer:")) ids.add(key.slice(6));
    }
    for (const key of this.booter.layersBooting()) ids.add(key);
    return [...ids].sort();
  }

  counts(): { instances: number; pooled: number } {
    return { instances: this.live.size, pooled: this.pool.size() };
  }

  async close(): Promise<void> {
    this.closing = true;
    this.live.stopReaping();
    this.preboot.close();
    this.quotas.stop();
    await this.pool.close();
    await this.layers.drain();
    const ids = this.live.ids();
    await Promise.all(ids.map((id) => this.destroy(id)));
    // A clean close stopped every instance: the watch has nothing left to do.
    this.deathWatch.kill();
    await releaseWorkDir(this.workDir).catch(() => {});
  }

  private guard<T>(instance: Instance, fn: () => Promise<T>): Promise<T> {
    return guardInstanceOperation(this.live, this.log, instance, fn);
  }
}
