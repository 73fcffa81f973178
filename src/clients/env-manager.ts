// The Worker's client for env-manager (docs/contracts/env-manager.md). Every response is parsed with
// the contract's zod schemas. A network failure, timeout, 5xx, refused token or malformed answer
// becomes AppError 503 `env_unavailable` (retryable, with `retry_after_s` when the service sent
// Retry-After, e.g. on 429 "all instances in use"); messages never carry the service URL or stack.
import type { z } from "zod";
import { AppError } from "../errors.ts";
import {
  CancelResponse,
  type CreateInstanceRequest,
  CreateInstanceResponse,
  DestroyResponse,
  EnvHealthResponse,
  InstanceListResponse,
  InstanceResponse,
  LayersInUseResponse,
  LayerWriteResponse,
  RestartResponse,
  SnapshotResponse,
} from "./contracts/env-manager.ts";
import { platformRequest } from "./platform-http.ts";

export type EnvManagerClientOptions = {
  baseUrl: string;
  token: string;
  /** Per-request timeout. Default 30 s (a snapshot of a large cluster takes a while). */
  timeoutMs?: number;
  /** For tests that inject faults the real service cannot produce. Default: global fetch. */
  fetch?: typeof fetch;
};

export type EnvManagerClient = {
  create(req: CreateInstanceRequest): Promise<CreateInstanceResponse>;
  get(instanceId: string): Promise<InstanceResponse | null>;
  /** Every live instance with its owner (no connections). */
  list(): Promise<InstanceListResponse>;
  /** `background`: answer before the layer is written (then wait with `layerWrite`). */
  snapshot(instanceId: string, opts?: { background?: boolean }): Promise<SnapshotResponse>;
  /** Where a background layer write stands; waits up to `waitMs` (<= 25 s) for it to settle. */
  layerWrite(layerId: string, waitMs: number): Promise<LayerWriteResponse>;
  restart(instanceId: string): Promise<RestartResponse>;
  cancel(instanceId: string): Promise<CancelResponse>;
  destroy(instanceId: string): Promise<DestroyResponse>;
  layersInUse(): Promise<LayersInUseResponse>;
  health(): Promise<EnvHealthResponse>;
};

const unavailable = (why: string, details: Record<string, unknown> = {}) =>
  new AppError(503, "env_unavailable", `env-manager is unavailable: ${why}`, {
    retryable: true,
    ...details,
  });

export function createEnvManagerClient(opts: EnvManagerClientOptions): EnvManagerClient {
  const transport = {
    baseUrl: opts.baseUrl,
    token: opts.token,
    timeoutMs: opts.timeoutMs ?? 30_000,
    fetch: opts.fetch ?? fetch,
  };

  async function call<S extends z.ZodType>(
    method: string,
    path: string,
    schema: S,
    body?: unknown,
    nullOn404 = false,
  ): Promise<z.infer<S> | null> {
    const { res, json, code, message } = await platformRequest(
      transport,
      unavailable,
      method,
      path,
      body,
    );
    if (res.status === 429 || res.status >= 500) {
      const retryAfter = Number(res.headers.get("retry-after"));
      throw unavailable(res.status === 429 ? "all instances are in use" : `HTTP ${res.status}`, {
        upstream_code: code,
        upstream_status: res.status,
        ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retry_after_s: retryAfter } : {}),
      });
    }
    if (res.status === 401 || res.status === 403) {
      throw unavailable("the platform token was refused");
    }
    if (res.ok) {
      const parsed = schema.safeParse(json);
      if (!parsed.success) throw unavailable("malformed answer");
      return parsed.data;
    }
    if (res.status === 404 && nullOn404) return null;
    throw new AppError(
      res.status === 404 ? 404 : res.status === 409 ? 409 : 502,
      res.status === 404 ? "env_not_found" : "env_rejected",
      `env-manager rejected the request (${code}): ${message ?? `HTTP ${res.status}`}`,
      { upstream_code: code, upstream_status: res.status },
    );
  }

  const must = <T>(v: T | null): T => {
    if (v === null) throw unavailable("empty answer");
    return v;
  };
  const inst = (id: string, tail = "") => `/v1/instances/${encodeURIComponent(id)}${tail}`;

  return {
    async create(req) {
      return must(await call("POST", "/v1/instances", CreateInstanceResponse, req));
    },
    async get(id) {
      return call("GET", inst(id), InstanceResponse, undefined, true);
    },
    async list() {
      return must(await call("GET", "/v1/instances", InstanceListResponse));
    },
    async snapshot(id, opts = {}) {
      const body = opts.background ? { background: true } : {};
      return must(await call("POST", inst(id, "/snapshot"), SnapshotResponse, body));
    },
    async layerWrite(layerId, waitMs) {
      const path = `/v1/layers/${encodeURIComponent(layerId)}/write?wait_ms=${Math.round(waitMs)}`;
      return must(await call("GET", path, LayerWriteResponse));
    },
    async restart(id) {
      return must(await call("POST", inst(id, "/restart"), RestartResponse, {}));
    },
    async cancel(id) {
      return must(await call("POST", inst(id, "/cancel"), CancelResponse, {}));
    },
    async destroy(id) {
      return must(await call("DELETE", inst(id), DestroyResponse));
    },
    async layersInUse() {
      return must(await call("GET", "/v1/layers/in-use", LayersInUseResponse));
    },
    async health() {
      return must(await call("GET", "/healthz", EnvHealthResponse));
    },
  };
}
