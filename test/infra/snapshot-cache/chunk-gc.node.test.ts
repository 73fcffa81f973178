// GC by chunk with real format-2 layers: deleting a layer removes its manifest directory, and the
// sweep then deletes the chunks no remaining manifest names (older than the grace period) while
// every chunk of the surviving layer stays, so it still boots with all its rows.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connectViaProxy,
  startTestEnv,
  type TestEnv,
} from "../../../infra/local-dev/env-manager/test-harness.ts";
import { ChunkStore } from "../../../infra/local-dev/layers/chunk-store.ts";
import { parseManifest } from "../../../infra/local-dev/layers/manifest.ts";
import {
  hashOf,
  startTestCache,
  type TestCache,
} from "../../../infra/local-dev/snapshot-cache/test-harness.ts";
import { GcResponse, PublishResponse } from "../../../src/clients/contracts/snapshot-cache.ts";

let env: TestEnv;
let engine: string;
const inUse: string[] = [];

beforeAll(async () => {
  env = await startTestEnv();
  engine = env.handle.manager.binaries.engine;
});
afterAll(async () => {
  await env?.close();
});

async function layerWith(sql: string): Promise<{ layerId: string; instanceId: string }> {
  const created = await env.call("POST", "/v1/instances", { from: { base: { engine } } });
  const c = await connectViaProxy(created.json.connection);
  await c.query(sql);
  await c.end();
  const snap = await env.call("POST", `/v1/instances/${created.json.instance_id}/snapshot`);
  expect(snap.json.written).toBe(true);
  return { layerId: snap.json.layer_id, instanceId: created.json.instance_id };
}

async function chunksOf(layerId: string): Promise<Set<string>> {
  const text = await readFile(join(env.dataDir, "layers", layerId, "manifest.json"), "utf8");
  return new Set(parseManifest(text).files.flatMap((f) => f.chunks));
}

async function publish(cache: TestCache, label: string, layerId: string) {
  const meta = JSON.parse(
    await readFile(join(env.dataDir, "layers", layerId, "layer.json"), "utf8"),
  );
  const res = await cache.call("POST", "/v1/layers", {
    tail_hash: hashOf(label),
    layer_id: layerId,
    parent_hash: null,
    engine: meta.engine,
    settings_digest: meta.settings_digest,
    size_bytes: meta.size_bytes,
    ttl_seconds: 3600,
  });
  expect(res.status).toBe(201);
  return PublishResponse.parse(res.json);
}

describe("GC by chunk", () => {
  let keep: { layerId: string; instanceId: string };
  let drop: { layerId: string; instanceId: string };
  let keepChunks: Set<string>;
  let dropChunks: Set<string>;
  beforeAll(async () => {
    keep = await layerWith(
      "CREATE TABLE kept AS SELECT g, md5(g::text) AS h FROM generate_series(1, 30000) g",
    );
    drop = await layerWith(
      "CREATE TABLE dropped AS SELECT g, md5((g * 7)::text) AS h FROM generate_series(1, 30000) g",
    );
    for (const l of [keep, drop]) await env.call("DELETE", `/v1/instances/${l.instanceId}`);
    keepChunks = await chunksOf(keep.layerId);
    dropChunks = await chunksOf(drop.layerId);
    // The two clusters share the base's chunks and differ in their tables.
    expect([...dropChunks].some((h) => keepChunks.has(h))).toBe(true);
    expect([...dropChunks].some((h) => !keepChunks.has(h))).toBe(true);
  });

  it("reports new bytes apart from logical bytes in the layer metadata", async () => {
    const cache = await startTestCache(env.dataDir, { now: () => Date.now() });
    try {
      const out = await publish(cache, "keep-meta", keep.layerId);
      expect(out.layer.size_bytes).toBeGreaterThan(out.layer.new_bytes);
      expect(out.layer.new_bytes).toBeGreaterThan(0);
    } finally {
      await cache.handle.close();
    }
  });

  it("keeps unreferenced chunks younger than the grace period", async () => {
    const cache = await startTestCache(env.dataDir, {
      now: () => Date.now(),
      leftoverGraceMs: 3_600_000,
      inUse: async () => inUse,
    });
    try {
      await publish(cache, "young-drop", drop.layerId);
      await cache.call("DELETE", `/v1/layers/by-hash/${hashOf("young-drop")}`);
      const run = GcResponse.parse((await cache.call("POST", "/v1/gc")).json);
      expect(run.deleted.map((d) => d.layer_id)).toContain(drop.layerId);
      expect(run.chunks.deleted).toBe(0);
      const store = new ChunkStore(join(env.dataDir, "chunks"));
      for (const h of dropChunks) expect(store.has(h)).toBe(true);
    } finally {
      await cache.handle.close();
    }
  });

  it("deletes the chunks only a deleted layer used; the other layer still boots", async () => {
    const cache = await startTestCache(env.dataDir, {
      now: () => Date.now(),
      leftoverGraceMs: 0,
      inUse: async () => inUse,
    });
    try {
      await publish(cache, "keep", keep.layerId);
      const run = GcResponse.parse((await cache.call("POST", "/v1/gc")).json);
      expect(run.chunks.deleted).toBeGreaterThan(0);
      expect(run.chunks.freed_bytes).toBeGreaterThan(0);
      const store = new ChunkStore(join(env.dataDir, "chunks"));
      for (const h of dropChunks) if (!keepChunks.has(h)) expect(store.has(h)).toBe(false);
      for (const h of keepChunks) expect(store.has(h)).toBe(true);
      expect(run.chunks.kept).toBeGreaterThanOrEqual(keepChunks.size);

      const booted = await env.call("POST", "/v1/instances", { from: { layer_id: keep.layerId } });
      expect(booted.status).toBe(201);
      const c = await connectViaProxy(booted.json.connection);
      const rows = await c.query("SELECT count(*)::int AS n FROM kept");
      expect(rows.rows[0].n).toBe(30000);
      await c.end();
    } finally {
      await cache.handle.close();
    }
  });
});
