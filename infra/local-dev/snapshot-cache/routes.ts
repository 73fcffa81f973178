// The snapshot-cache routes (docs/contracts/snapshot-cache.md). Each handler parses its input with
// the contract's zod schema, does its index work in one synchronous step, and answers JSON.
import {
  GcRequest,
  type GcResponse,
  type HealthResponse,
  LayerId,
  type LayerMeta,
  type LayerResponse,
  LookupRequest,
  type LookupResponse,
  PinRequest,
  type PinResponse,
  PublishRequest,
  type PublishResponse,
  TailHash,
} from "../../../src/clients/contracts/snapshot-cache.ts";
import { AppError } from "../../../src/errors.ts";
import { parseOr400, type Reply, Router, readJson } from "./http.ts";
import { expiresAt, type IndexStore, type LayerRow } from "./index-store.ts";
import type { LayerStorage } from "./layer-storage.ts";

export type RouteDeps = {
  store: IndexStore;
  storage: LayerStorage;
  now: () => number;
  byteBudget: number;
  deleting: ReadonlySet<string>;
  runGc: () => Promise<GcResponse>;
};

export function toMeta(row: LayerRow): LayerMeta {
  return {
    tail_hash: row.tail_hash,
    layer_id: row.layer_id,
    parent_hash: row.parent_hash,
    engine: row.engine,
    settings_digest: row.settings_digest,
    size_bytes: row.size_bytes,
    new_bytes: row.new_bytes ?? row.size_bytes,
    ttl_seconds: row.ttl_seconds,
    created_at: new Date(row.created_at).toISOString(),
    last_used_at: new Date(row.last_used_at).toISOString(),
    expires_at: new Date(expiresAt(row)).toISOString(),
  };
}

const ok = (body: unknown, status = 200): Reply => ({ status, body });

function notFound(field: string, value: string): never {
  throw new AppError(404, "layer_not_found", `${field}: no layer for ${value}`, { field });
}

export function buildRouter(d: RouteDeps): Router {
  const live = (row: LayerRow | null): row is LayerRow => row !== null && expiresAt(row) > d.now();

  return new Router()
    .on("GET", "/healthz", () =>
      ok({
        status: "ok",
        service: "snapshot-cache",
        layers: d.store.count(),
        total_bytes: d.store.totalBytes(),
        byte_budget: d.byteBudget,
      } satisfies HealthResponse),
    )
    .on("POST", "/v1/lookup", async (req) => {
      const { hashes } = parseOr400(LookupRequest, await readJson(req));
      const now = d.now();
      const present = new Map(
        d.store
          .findHashes(hashes)
          .filter((r) => expiresAt(r) > now)
          .map((r) => [r.tail_hash, r]),
      );
      for (let index = hashes.length - 1; index >= 0; index--) {
        const hash = hashes[index];
        if (hash === undefined || !present.has(hash)) continue;
        const row = d.store.touch(hash, now);
        if (!row) break;
        return ok({
          match: { index, tail_hash: hash, layer: toMeta(row) },
        } satisfies LookupResponse);
      }
      return ok({ match: null } satisfies LookupResponse);
    })
    .on("GET", "/v1/layers/by-hash/:tail_hash", (_req, p) => {
      const hash = parseOr400(TailHash, p.tail_hash, ["tail_hash"]);
      const row = d.store.byHash(hash);
      if (!live(row)) return notFound("tail_hash", hash);
      return ok({ layer: toMeta(row) } satisfies LayerResponse);
    })
    .on("DELETE", "/v1/layers/by-hash/:tail_hash", (_req, p) => {
      const hash = parseOr400(TailHash, p.tail_hash, ["tail_hash"]);
      const row = d.store.unindex(hash, d.now());
      if (!row) return notFound("tail_hash", hash);
      return ok({ layer: toMeta(row) } satisfies LayerResponse);
    })
    .on("GET", "/v1/layers/:layer_id", (_req, p) => {
      const id = parseOr400(LayerId, p.layer_id, ["layer_id"]);
      const row = d.store.byLayerId(id);
      if (!row) return notFound("layer_id", id);
      return ok({ layer: toMeta(row) } satisfies LayerResponse);
    })
    .on("POST", "/v1/layers", async (req) => {
      const body = parseOr400(PublishRequest, await readJson(req));
      const meta = await d.storage.readLayerJson(body.layer_id);
      if (!meta || d.deleting.has(body.layer_id)) {
        throw new AppError(
          422,
          "layer_missing",
          `layer_id: layer storage has no layer ${body.layer_id} (write it, with layer.json, before publishing)`,
          { field: "layer_id" },
        );
      }
      for (const field of ["layer_id", "engine", "settings_digest", "size_bytes"] as const) {
        const stored = meta[field];
        if (stored !== undefined && stored !== body[field]) {
          throw new AppError(
            422,
            "layer_mismatch",
            `${field}: ${body[field]} does not match the layer's layer.json (${String(stored)})`,
            { field },
          );
        }
      }
      const newBytes = typeof meta.new_bytes === "number" ? meta.new_bytes : null;
      const result = d.store.publish({ ...body, new_bytes: newBytes }, d.now());
      const response: PublishResponse = { outcome: result.kind, layer: toMeta(result.row) };
      return ok(response, result.kind === "created" ? 201 : 200);
    })
    .on("POST", "/v1/layers/pin", async (req) => {
      const body = parseOr400(PinRequest, await readJson(req));
      const pinned = d.store.pin(body.tail_hashes, Date.parse(body.until));
      return ok({ pinned } satisfies PinResponse);
    })
    .on("POST", "/v1/gc", async (req) => {
      parseOr400(GcRequest, await readJson(req));
      return ok(await d.runGc());
    });
}
