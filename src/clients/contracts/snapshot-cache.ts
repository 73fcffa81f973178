// The snapshot-cache HTTP contract (docs/contracts/snapshot-cache.md): zod schemas for every request
// and response. Imported by the local service (infra/local-dev/snapshot-cache/) and by the Worker's
// client (src/clients/snapshot-cache.ts), so it must stay pure zod: no Node or Workers APIs here.
import { z } from "zod";

/** A chain hash from the planner: SHA-256 as 64 lowercase hex characters. */
export const TailHash = z
  .string()
  .regex(/^[0-9a-f]{64}$/, "must be a SHA-256 hash: 64 lowercase hex characters");
export type TailHash = z.infer<typeof TailHash>;

/**
 * A layer id is also the name of its directory under `<PLATFORM_DATA_DIR>/layers/`, so it is a safe
 * file name: it cannot start with a dot (`.tmp-*` are unfinished copies) nor contain a slash.
 */
export const LayerId = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/,
    "must be 1-128 characters of A-Z a-z 0-9 _ - starting with a letter or digit",
  );
export type LayerId = z.infer<typeof LayerId>;

/** Engine and settings labels: short printable tokens such as `postgres-18.4` or a digest. */
const Label = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._:+-]{0,127}$/,
    "must be 1-128 characters of A-Z a-z 0-9 . _ : + -",
  );

/** Longest `snapshot_ttl` accepted: one year. */
export const MAX_TTL_SECONDS = 366 * 24 * 3600;
/** Most prefix hashes in one lookup (a chain longer than this is looked up by its last hashes). */
export const MAX_LOOKUP_HASHES = 10_000;

export const TtlSeconds = z.number().int().min(1).max(MAX_TTL_SECONDS);

const Timestamp = z.iso.datetime();

/** Everything the cache knows about one layer. Expiry slides: expires_at = last_used_at + ttl. */
export const LayerMeta = z.strictObject({
  tail_hash: TailHash,
  layer_id: LayerId,
  parent_hash: TailHash.nullable(),
  engine: Label,
  settings_digest: Label,
  /** Logical bytes: what booting the layer writes (the sum of its files' sizes). */
  size_bytes: z.number().int().min(0),
  /** Bytes the layer added to storage (format 2: its new compressed chunks). */
  new_bytes: z.number().int().min(0),
  ttl_seconds: TtlSeconds,
  created_at: Timestamp,
  last_used_at: Timestamp,
  expires_at: Timestamp,
});
export type LayerMeta = z.infer<typeof LayerMeta>;

// POST /v1/lookup
export const LookupRequest = z.strictObject({
  /** Prefix hashes in chain order (h_1 .. h_n); the answer is the present one with the highest index. */
  hashes: z.array(TailHash).min(1).max(MAX_LOOKUP_HASHES),
});
export type LookupRequest = z.infer<typeof LookupRequest>;

export const LookupMatch = z.strictObject({
  /** Index into the request's `hashes`. */
  index: z.number().int().min(0),
  tail_hash: TailHash,
  layer: LayerMeta,
});
export const LookupResponse = z.strictObject({ match: LookupMatch.nullable() });
export type LookupResponse = z.infer<typeof LookupResponse>;

// POST /v1/layers
export const PublishRequest = z.strictObject({
  tail_hash: TailHash,
  layer_id: LayerId,
  parent_hash: TailHash.nullable(),
  engine: Label,
  settings_digest: Label,
  size_bytes: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  ttl_seconds: TtlSeconds,
});
export type PublishRequest = z.infer<typeof PublishRequest>;

/**
 * `created`: this request's layer is now the layer of the hash (HTTP 201).
 * `existing`: the same layer was already published for the hash (an idempotent retry, HTTP 200).
 * `lost_race`: another layer won the hash; `layer` is the winner, the caller's layer directory is
 * now an orphan that GC removes once no instance uses it (HTTP 200).
 */
export const PublishOutcome = z.enum(["created", "existing", "lost_race"]);
export type PublishOutcome = z.infer<typeof PublishOutcome>;

export const PublishResponse = z.strictObject({ outcome: PublishOutcome, layer: LayerMeta });
export type PublishResponse = z.infer<typeof PublishResponse>;

// GET /v1/layers/by-hash/:tail_hash, GET /v1/layers/:layer_id, DELETE /v1/layers/by-hash/:tail_hash
export const LayerResponse = z.strictObject({ layer: LayerMeta });
export type LayerResponse = z.infer<typeof LayerResponse>;

// POST /v1/gc
// POST /v1/layers/pin: keep the layers of these tail hashes at least until `until`, whatever
// their ttl and the byte budget (an extended job pins the layers it used and published).
export const PinRequest = z.strictObject({
  tail_hashes: z.array(TailHash).min(1).max(1000),
  until: Timestamp,
});
export type PinRequest = z.infer<typeof PinRequest>;
export const PinResponse = z.strictObject({ pinned: z.number().int().min(0) });
export type PinResponse = z.infer<typeof PinResponse>;

export const GcRequest = z.strictObject({}).optional();

export const GcDeletion = z.strictObject({
  layer_id: z.string(),
  /** null for directories no index row referenced (orphans, unfinished `.tmp-*` copies). */
  tail_hash: TailHash.nullable(),
  reason: z.enum(["expired", "lru", "orphan", "unfinished"]),
  size_bytes: z.number().int().min(0),
});
export type GcDeletion = z.infer<typeof GcDeletion>;

export const GcChunks = z.strictObject({
  /** Chunks no manifest names that were deleted (older than the grace period). */
  deleted: z.number().int().min(0),
  freed_bytes: z.number().int().min(0),
  /** Chunks left in the store and their (compressed) bytes: the real storage cost. */
  kept: z.number().int().min(0),
  kept_bytes: z.number().int().min(0),
});

export const GcResponse = z.strictObject({
  deleted: z.array(GcDeletion),
  /** The chunk sweep (mark from every manifest in storage, sweep the rest). */
  chunks: GcChunks,
  /** Layers GC wanted to delete but env-manager reported in use. */
  kept_in_use: z.array(LayerId),
  /** Sum of `new_bytes` (what each layer added) over indexed layers after this run. */
  total_bytes: z.number().int().min(0),
  byte_budget: z.number().int().min(0),
});
export type GcResponse = z.infer<typeof GcResponse>;

// GET /healthz
export const HealthResponse = z.strictObject({
  status: z.literal("ok"),
  service: z.literal("snapshot-cache"),
  layers: z.number().int().min(0),
  total_bytes: z.number().int().min(0),
  byte_budget: z.number().int().min(0),
});
export type HealthResponse = z.infer<typeof HealthResponse>;

/** Every non-2xx answer. `code` is stable; `message` names the offending field. */
export const ErrorResponse = z.object({
  error: z.looseObject({ code: z.string(), message: z.string() }),
});
export type ErrorResponse = z.infer<typeof ErrorResponse>;
