// The env-manager HTTP contract (docs/contracts/env-manager.md): zod schemas for every request and
// response. Imported by the local service (infra/local-dev/env-manager/) and by the Worker's client
// (src/clients/env-manager.ts), so it must stay pure zod: no Node or Workers APIs here.
import { z } from "zod";
import { EngineOffer } from "./engines.ts";
import { PgConnection } from "./pg-connection.ts";

/** Instance ids are `i-` and 16 lowercase hex characters. */
export const InstanceId = z.string().regex(/^i-[0-9a-f]{16}$/, "must be i- and 16 hex characters");
export type InstanceId = z.infer<typeof InstanceId>;

/** Same rule as snapshot-cache's LayerId: the name of a directory under `<data root>/layers/`. */
export const EnvLayerId = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/,
    "must be 1-128 characters of A-Z a-z 0-9 _ - starting with a letter or digit",
  );

/** Longest instance lifetime a caller may ask for: one hour. */
export const MAX_INSTANCE_TTL_MS = 3_600_000;
export const DEFAULT_INSTANCE_TTL_MS = 600_000;

export const BaseSpec = z.strictObject({
  /** e.g. "postgres-18.4"; one of the engines the platform runs (see GET /healthz `engines`). */
  engine: z.string().min(1).max(128),
  /** Settings profile; defaults to that engine's only profile (see GET /healthz). */
  settings_digest: z.string().min(1).max(128).optional(),
  /** Extensions created in the base image (template1 and the default database): name -> version. */
  extensions: z
    .record(z.string().regex(/^[a-z_][a-z0-9_-]{0,62}$/), z.string().min(1).max(64))
    .refine((x) => Object.keys(x).length <= 32, "at most 32 extensions")
    .optional(),
});
export type BaseSpec = z.infer<typeof BaseSpec>;

export const InstanceSource = z.union([
  z.strictObject({ layer_id: EnvLayerId }),
  z.strictObject({ base: BaseSpec }),
]);
export type InstanceSource = z.infer<typeof InstanceSource>;

// POST /v1/instances
/** Who holds an instance (the Worker sends its job id), so a sweep can find orphans. */
export const InstanceOwner = z.string().regex(/^[\x21-\x7e]{1,128}$/, "printable ASCII, 1-128");

/** A caller's own quota for one instance (its plan's); env-manager's configured one caps it. */
export const InstanceQuota = z.strictObject({
  max_data_bytes: z.number().int().min(1).optional(),
});
export type InstanceQuota = z.infer<typeof InstanceQuota>;

export const CreateInstanceRequest = z.strictObject({
  from: InstanceSource,
  ttl_ms: z.number().int().min(1_000).max(MAX_INSTANCE_TTL_MS).optional(),
  owner: InstanceOwner.optional(),
  quota: InstanceQuota.optional(),
});
export type CreateInstanceRequest = z.infer<typeof CreateInstanceRequest>;

export const BootSource = z.enum(["pool", "layer", "base"]);
export type BootSource = z.infer<typeof BootSource>;

export const InstanceState = z.enum(["ready", "snapshotting", "restarting", "dead"]);
export type InstanceState = z.infer<typeof InstanceState>;

export const InstanceInfo = z.strictObject({
  instance_id: InstanceId,
  state: InstanceState,
  connection: PgConnection,
  /** What the instance was booted from. */
  source: z.strictObject({
    layer_id: EnvLayerId.nullable(),
    engine: z.string(),
    settings_digest: z.string(),
  }),
  created_at: z.iso.datetime(),
  expires_at: z.iso.datetime(),
  /**
   * Set once the instance crossed a quota: its user sessions were terminated and it will not be
   * snapshotted. `limit` names the quota (`max_data_bytes`).
   */
  quota_exceeded: z
    .strictObject({
      limit: z.string(),
      max_bytes: z.number().int(),
      used_bytes: z.number().int(),
    })
    .optional(),
});
export type InstanceInfo = z.infer<typeof InstanceInfo>;

export const CreateInstanceResponse = InstanceInfo.extend({
  boot: z.strictObject({ source: BootSource, ms: z.number().min(0) }),
});
export type CreateInstanceResponse = z.infer<typeof CreateInstanceResponse>;

// GET /v1/instances/:id
export const InstanceResponse = InstanceInfo;
export type InstanceResponse = z.infer<typeof InstanceResponse>;

// POST /v1/instances/:id/snapshot
export const SnapshotRequest = z
  .strictObject({
    /**
     * true: answer once the server is starting again and the layer id is known; chunks and
     * manifest are written in the background (see GET /v1/layers/:layer_id/write). Format 2 only.
     */
    background: z.boolean().optional(),
  })
  .optional();
export type SnapshotRequest = z.infer<typeof SnapshotRequest>;

export const SnapshotResponse = z.strictObject({
  layer_id: EnvLayerId,
  /** Logical bytes: the sum of the cluster's file sizes (format 1: the archive's size). */
  size_bytes: z.number().int().min(0),
  /** Bytes this layer added to storage; null while a background write is still running. */
  new_bytes: z.number().int().min(0).nullable(),
  /** false: the layer is being written in the background (publish once it is written). */
  written: z.boolean(),
  format: z.union([z.literal(1), z.literal(2)]),
  engine: z.string(),
  settings_digest: z.string(),
  ms: z.number().min(0),
});
export type SnapshotResponse = z.infer<typeof SnapshotResponse>;

// POST /v1/instances/:id/restart
export const RestartResponse = z.strictObject({ instance_id: InstanceId, ms: z.number().min(0) });
export type RestartResponse = z.infer<typeof RestartResponse>;

// POST /v1/instances/:id/cancel
export const CancelResponse = z.strictObject({
  /** How many running statements of the user's sessions were sent a cancel request. */
  cancelled: z.number().int().min(0),
});
export type CancelResponse = z.infer<typeof CancelResponse>;

// DELETE /v1/instances/:id
export const DestroyResponse = z.strictObject({ instance_id: InstanceId, destroyed: z.boolean() });
export type DestroyResponse = z.infer<typeof DestroyResponse>;

// GET /v1/layers/:layer_id/write?wait_ms=N (N <= MAX_WRITE_WAIT_MS)
export const MAX_WRITE_WAIT_MS = 25_000;
export const LayerWriteState = z.enum(["written", "writing", "failed", "unknown"]);
export const LayerWriteResponse = z.strictObject({
  layer_id: EnvLayerId,
  /** `unknown`: neither written nor being written here (e.g. env-manager restarted mid-write). */
  state: LayerWriteState,
  new_bytes: z.number().int().min(0).nullable(),
});
export type LayerWriteResponse = z.infer<typeof LayerWriteResponse>;

// GET /v1/layers/in-use (also read by snapshot-cache's GC)
// GET /v1/instances: every live instance, without its connection (no passwords in a listing).
export const InstanceSummary = z.strictObject({
  instance_id: InstanceId,
  state: InstanceState,
  owner: InstanceOwner.nullable(),
  created_at: z.iso.datetime(),
  expires_at: z.iso.datetime(),
});
export type InstanceSummary = z.infer<typeof InstanceSummary>;
export const InstanceListResponse = z.strictObject({ instances: z.array(InstanceSummary) });
export type InstanceListResponse = z.infer<typeof InstanceListResponse>;

export const LayersInUseResponse = z.object({ layer_ids: z.array(z.string()) });
export type LayersInUseResponse = z.infer<typeof LayersInUseResponse>;

// GET /healthz
export const EnvHealthResponse = z.strictObject({
  status: z.literal("ok"),
  service: z.literal("env-manager"),
  /** The default engine (the newest) and its settings profile. */
  engine: z.string(),
  settings_digest: z.string(),
  /** Every engine the platform runs, with the extensions each offers. */
  engines: z.array(EngineOffer),
  instances: z.number().int().min(0),
  max_instances: z.number().int().min(0),
  pooled: z.number().int().min(0),
  /** Warm-pool takes since start: answered from the pool (hits) or booted on demand (misses). */
  pool: z
    .strictObject({
      hits: z.number().int().min(0),
      misses: z.number().int().min(0),
      boots: z.number().int().min(0),
    })
    .optional(),
});
export type EnvHealthResponse = z.infer<typeof EnvHealthResponse>;

/** Every non-2xx answer. `code` is stable; `message` names the offending field. */
export const EnvErrorResponse = z.object({
  error: z.looseObject({ code: z.string(), message: z.string() }),
});
export type EnvErrorResponse = z.infer<typeof EnvErrorResponse>;
