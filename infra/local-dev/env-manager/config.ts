// env-manager settings: where data lives, limits, TTLs and the warm-pool budget. Defaults suit the
// local dev loop; every field can be overridden by startEnvManager() callers or environment variables.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_INSTANCE_TTL_MS } from "../../../src/clients/contracts/env-manager.ts";
import { PUBLISH_GRACE_MS } from "./layer-store.ts";
import { onlineSnapshotsDefault } from "./online-snapshot.ts";

export interface PoolConfig {
  /** Pre-booted instances kept per recently used source (layer or base image). */
  perSource: number;
  /** How many distinct recent sources get pool entries. */
  recentSources: number;
  /** Most pooled instances in total. */
  maxTotal: number;
  /** Memory budget for pooled instances, in bytes (each is charged `instanceBytes`). */
  memoryBudgetBytes: number;
  /** Estimated resident memory of one idle instance (shared_buffers 16 MB + processes). */
  instanceBytes: number;
  /** Keep one pooled instance of the base image even before anyone asked for it. */
  prewarmBase: boolean;
  /**
   * Wait this long after an acquisition before refilling (0: at once; the refill's unpack runs
   * under `nice`, so it yields the CPU to the new instance's first queries anyway).
   */
  refillDelayMs: number;
  /**
   * Most instances of one source: a source in demand gets more than `perSource`, enough to cover
   * its recent take rate for one boot's time (pool-demand.ts). Default: `perSource`.
   */
  maxPerSource?: number;
  /** The window the take rate is measured over, in ms (default 10 s). */
  demandWindowMs?: number;
  /**
   * A snapshotted layer becomes a pool source only when it is its instance's latest and the
   * instance took no other snapshot for this long (layer-preboot.ts). Default 3 s.
   */
  layerPrebootDelayMs?: number;
  /** Pool boots at once (default 1: refills must not take both cores from running jobs). */
  refillConcurrency?: number;
}

/** Disk quotas per instance (quota-watch.ts); a create may ask for less, never for more. */
export interface QuotaConfig {
  /** Bytes of one instance's data directory (tables, indexes, WAL, temp files). */
  maxDataBytes: number;
  /** Bytes of a layer: a snapshot of a bigger data directory is refused. */
  maxLayerBytes: number;
  /** How often the data directories are measured, in ms. */
  watchIntervalMs: number;
}

export interface EnvManagerConfig {
  /** Platform data root: `layers/` (shared with snapshot-cache) and `bases/` live here. */
  dataDir: string;
  /** Scratch directory for running instances' data directories. */
  workDir: string;
  /** Where base images are kept (default `<dataDir>/bases`; tests share one across data roots). */
  basesDir: string;
  token: string;
  maxInstances: number;
  defaultTtlMs: number;
  reapIntervalMs: number;
  pool: PoolConfig;
  /** Format of the layers snapshots write: 2 (manifest + chunks, docs/layers.md) or 1 (one tar). */
  layerFormat: 1 | 2;
  /**
   * Format 2: snapshot with the server frozen for the copy instead of stopped and restarted
   * (online-snapshot.ts); ENV_MANAGER_ONLINE_SNAPSHOTS=0 turns it off.
   */
  onlineSnapshots: boolean;
  /** Memory budget of the decompressed chunk cache that format-2 boots read from. */
  chunkCacheBytes: number;
  /**
   * Most bytes of staged snapshot copies (tmpfs) waiting for their background write; a background
   * snapshot over it is written before it answers.
   */
  stagingBudgetBytes: number;
  quota: QuotaConfig;
  /**
   * Bytes of one result row the proxy forwards (row-guard.ts): 9 MiB, a Worker's 8 MiB per result
   * set of values plus the row's framing, so no row a job could keep is refused.
   */
  maxRowBytes: number;
  /**
   * A layer written this recently counts as in use (GET /v1/layers/in-use), so GC cannot take it
   * before the Worker has published it; once past it, the layer's own TTL and pins govern.
   */
  publishGraceMs: number;
}

export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

export const DEFAULT_PLATFORM_TOKEN = "dev-platform-token";

export function defaultDataDir(): string {
  return process.env.PLATFORM_DATA_DIR ?? join(REPO_ROOT, ".sql-runner/platform");
}

/** tmpfs: creating ~1,000 files there is free, on the ext4 disk it costs ~0.6 ms each. */
export function defaultWorkDir(dataDir: string): string {
  if (process.env.ENV_MANAGER_WORK_DIR) return process.env.ENV_MANAGER_WORK_DIR;
  const tag = createHash("sha256").update(dataDir).digest("hex").slice(0, 10);
  if (existsSync("/dev/shm")) return join("/dev/shm", `sql-runner-${tag}`);
  return join(dataDir, "instances");
}

/** What callers may override: any field, and any part of the pool settings. */
export type EnvManagerOverrides = Partial<Omit<EnvManagerConfig, "pool" | "quota">> & {
  pool?: Partial<PoolConfig>;
  quota?: Partial<QuotaConfig>;
};

const GiB = 1024 * 1024 * 1024;

export function resolveConfig(partial: EnvManagerOverrides = {}): EnvManagerConfig {
  const dataDir = partial.dataDir ?? defaultDataDir();
  const env = process.env;
  return {
    dataDir,
    workDir: partial.workDir ?? defaultWorkDir(dataDir),
    basesDir: partial.basesDir ?? join(dataDir, "bases"),
    token: partial.token ?? env.PLATFORM_TOKEN ?? DEFAULT_PLATFORM_TOKEN,
    maxInstances: partial.maxInstances ?? Number(env.ENV_MANAGER_MAX_INSTANCES ?? 32),
    defaultTtlMs: partial.defaultTtlMs ?? DEFAULT_INSTANCE_TTL_MS,
    reapIntervalMs: partial.reapIntervalMs ?? 1_000,
    layerFormat: partial.layerFormat ?? (env.ENV_MANAGER_LAYER_FORMAT === "1" ? 1 : 2),
    onlineSnapshots: partial.onlineSnapshots ?? onlineSnapshotsDefault(env),
    chunkCacheBytes:
      partial.chunkCacheBytes ?? Number(env.ENV_MANAGER_CHUNK_CACHE_BYTES ?? 256 * 1024 * 1024),
    stagingBudgetBytes: partial.stagingBudgetBytes ?? 1024 * 1024 * 1024,
    publishGraceMs: partial.publishGraceMs ?? PUBLISH_GRACE_MS,
    pool: {
      perSource: 2,
      recentSources: 4,
      maxTotal: 6,
      memoryBudgetBytes: 512 * 1024 * 1024,
      instanceBytes: 48 * 1024 * 1024,
      prewarmBase: true,
      refillDelayMs: 0,
      maxPerSource: 5,
      demandWindowMs: 10_000,
      refillConcurrency: 2,
      layerPrebootDelayMs: 3_000,
      ...partial.pool,
    },
    maxRowBytes: partial.maxRowBytes ?? Number(env.ENV_MANAGER_MAX_ROW_BYTES ?? 9 * 1024 * 1024),
    quota: {
      maxDataBytes: Number(env.ENV_MANAGER_MAX_DATA_BYTES ?? GiB),
      maxLayerBytes: Number(env.ENV_MANAGER_MAX_LAYER_BYTES ?? GiB),
      watchIntervalMs: 500,
      ...partial.quota,
    },
  };
}
