// The Worker's client for snapshot-cache (docs/contracts/snapshot-cache.md). Every response is parsed
// with the contract's zod schemas. A network failure, timeout, 5xx or refused token becomes
// AppError 503 `snapshot_cache_unavailable`; messages never carry the service URL or upstream text
// beyond its stable error code.
import type { z } from "zod";
import { AppError } from "../errors.ts";
import {
  GcResponse,
  HealthResponse,
  type LayerMeta,
  LayerResponse,
  type LookupRequest,
  LookupResponse,
  type PinRequest,
  PinResponse,
  type PublishRequest,
  PublishResponse,
} from "./contracts/snapshot-cache.ts";
import { platformRequest } from "./platform-http.ts";

export type SnapshotCacheClientOptions = {
  baseUrl: string;
  token: string;
  /** Per-request timeout. Default 5 s. */
  timeoutMs?: number;
  /** For tests that inject faults the real service cannot produce. Default: global fetch. */
  fetch?: typeof fetch;
};

export type SnapshotCacheClient = {
  /** Longest present prefix of `hashes` (chain order), marking it used; null on a miss. */
  lookup(hashes: LookupRequest["hashes"]): Promise<LookupResponse["match"]>;
  /** The layer of one tail hash without marking it used; null when absent or expired. */
  getByHash(tailHash: string): Promise<LayerMeta | null>;
  getLayer(layerId: string): Promise<LayerMeta | null>;
  publish(req: PublishRequest): Promise<PublishResponse>;
  deleteByHash(tailHash: string): Promise<LayerMeta | null>;
  pin(req: PinRequest): Promise<PinResponse>;
  gc(): Promise<GcResponse>;
  health(): Promise<HealthResponse>;
};

/**
 * `gc()`'s timeout: GC removes layer directories and sweeps chunks, a batch that takes seconds on
 * a loaded machine, while the other calls are on a job's path (their timeout is `timeoutMs`).
 * The sweep reports a GC that outlived the short timeout as failed although it went on.
 */
export const GC_TIMEOUT_MS = 60_000;

const unavailable = (why: string, details: Record<string, unknown> = {}) =>
  new AppError(503, "snapshot_cache_unavailable", `snapshot-cache is unavailable: ${why}`, details);

export function createSnapshotCacheClient(opts: SnapshotCacheClientOptions): SnapshotCacheClient {
  const transport = {
    baseUrl: opts.baseUrl,
    token: opts.token,
    timeoutMs: opts.timeoutMs ?? 5000,
    fetch: opts.fetch ?? fetch,
  };

  async function call<S extends z.ZodType>(
    method: string,
    path: string,
    schema: S,
    body?: unknown,
    nullOn404 = false,
    timeoutMs = transport.timeoutMs,
  ): Promise<z.infer<S> | null> {
    const { res, json, code, message } = await platformRequest(
      { ...transport, timeoutMs },
      unavailable,
      method,
      path,
      body,
    );
    if (res.status >= 500) {
      throw unavailable(`HTTP ${res.status}`, { upstream_code: code, upstream_status: res.status });
    }
    if (res.status === 401 || res.status === 403)
      throw unavailable("the platform token was refused");
    if (res.ok) {
      const parsed = schema.safeParse(json);
      if (!parsed.success) {
        throw new AppError(
          502,
          "snapshot_cache_bad_response",
          "snapshot-cache sent a malformed answer",
        );
      }
      return parsed.data;
    }
    if (res.status === 404 && nullOn404 && code === "layer_not_found") return null;
    throw new AppError(
      502,
      "snapshot_cache_rejected",
      `snapshot-cache rejected the request (${code}): ${message ?? `HTTP ${res.status}`}`,
      { upstream_code: code, upstream_status: res.status },
    );
  }

  const must = <T>(v: T | null): T => {
    if (v === null)
      throw new AppError(502, "snapshot_cache_bad_response", "snapshot-cache answered nothing");
    return v;
  };
  const byHash = (h: string) => `/v1/layers/by-hash/${encodeURIComponent(h)}`;

  return {
    async lookup(hashes) {
      return must(await call("POST", "/v1/lookup", LookupResponse, { hashes })).match;
    },
    async getByHash(tailHash) {
      return (await call("GET", byHash(tailHash), LayerResponse, undefined, true))?.layer ?? null;
    },
    async getLayer(layerId) {
      const path = `/v1/layers/${encodeURIComponent(layerId)}`;
      return (await call("GET", path, LayerResponse, undefined, true))?.layer ?? null;
    },
    async publish(req) {
      return must(await call("POST", "/v1/layers", PublishResponse, req));
    },
    async deleteByHash(tailHash) {
      return (
        (await call("DELETE", byHash(tailHash), LayerResponse, undefined, true))?.layer ?? null
      );
    },
    async pin(req) {
      return must(await call("POST", "/v1/layers/pin", PinResponse, req));
    },
    async gc() {
      return must(await call("POST", "/v1/gc", GcResponse, {}, false, GC_TIMEOUT_MS));
    },
    async health() {
      return must(await call("GET", "/healthz", HealthResponse));
    },
  };
}
