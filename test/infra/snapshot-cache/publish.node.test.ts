// Publishing layers: created / idempotent retry / lost race, the concurrent-publisher race, metadata,
// and the checks against the layer storage (missing layer, mismatching layer.json, reused layer id).
import { access } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type Clock,
  hashOf,
  makeClock,
  makeDataDir,
  publishBody,
  removeDataDir,
  startTestCache,
  type TestCache,
  writeLayer,
} from "../../../infra/local-dev/snapshot-cache/test-harness.ts";
import {
  GcResponse,
  LayerResponse,
  LookupResponse,
  PublishResponse,
} from "../../../src/clients/contracts/snapshot-cache.ts";

let dir: string;
let clock: Clock;
let cache: TestCache;

beforeEach(async () => {
  dir = await makeDataDir();
  clock = makeClock(Date.parse("2026-03-01T12:00:00Z"));
  cache = await startTestCache(dir, { now: clock.now });
});
afterEach(async () => {
  await cache.handle.close();
  await removeDataDir(dir);
});

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

describe("POST /v1/layers", () => {
  it("creates (201), then answers an identical retry with the same layer (200 existing)", async () => {
    await writeLayer(dir, "layer-a");
    const body = publishBody("tail-a", "layer-a");
    const first = await cache.call("POST", "/v1/layers", body);
    expect(first.status).toBe(201);
    expect(PublishResponse.parse(first.json).outcome).toBe("created");

    clock.advance(1000);
    const again = await cache.call("POST", "/v1/layers", body);
    expect(again.status).toBe(200);
    const parsed = PublishResponse.parse(again.json);
    expect(parsed.outcome).toBe("existing");
    expect(parsed.layer.layer_id).toBe("layer-a");
    expect(parsed.layer.created_at).toBe(PublishResponse.parse(first.json).layer.created_at);
  });

  it("keeps the first writer: a second layer id gets the winner back, and its own dir is collected", async () => {
    await writeLayer(dir, "layer-first");
    await writeLayer(dir, "layer-second");
    const first = await cache.call("POST", "/v1/layers", publishBody("tail", "layer-first"));
    expect(first.status).toBe(201);
    const second = await cache.call("POST", "/v1/layers", publishBody("tail", "layer-second"));
    expect(second.status).toBe(200);
    const parsed = PublishResponse.parse(second.json);
    expect(parsed.outcome).toBe("lost_race");
    expect(parsed.layer.layer_id).toBe("layer-first");

    const gc = GcResponse.parse((await cache.call("POST", "/v1/gc")).json);
    expect(gc.deleted).toEqual([
      { layer_id: "layer-second", tail_hash: null, reason: "orphan", size_bytes: 1024 },
    ]);
    expect(await exists(join(dir, "layers", "layer-second"))).toBe(false);
    expect(await exists(join(dir, "layers", "layer-first"))).toBe(true);
  });

  it("has exactly one winner among many concurrent publishers of one hash", async () => {
    const ids = Array.from({ length: 24 }, (_, i) => `racer-${i}`);
    await Promise.all(ids.map((id) => writeLayer(dir, id)));
    const answers = await Promise.all(
      ids.map((id) => cache.call("POST", "/v1/layers", publishBody("contended", id))),
    );
    const parsed = answers.map((a) => ({ status: a.status, ...PublishResponse.parse(a.json) }));
    const winners = parsed.filter((p) => p.outcome === "created");
    expect(winners).toHaveLength(1);
    expect(winners[0]?.status).toBe(201);
    const winnerId = winners[0]?.layer.layer_id;
    for (const p of parsed) expect(p.layer.layer_id).toBe(winnerId);
    expect(parsed.filter((p) => p.outcome === "lost_race")).toHaveLength(ids.length - 1);

    const lookup = await cache.call("POST", "/v1/lookup", { hashes: [hashOf("contended")] });
    expect(LookupResponse.parse(lookup.json).match?.layer.layer_id).toBe(winnerId);

    const gc = GcResponse.parse((await cache.call("POST", "/v1/gc")).json);
    expect(gc.deleted.map((d) => d.layer_id).sort()).toEqual(
      ids.filter((id) => id !== winnerId).sort(),
    );
  });

  it("refuses a layer that is not in layer storage (422 layer_missing)", async () => {
    const res = await cache.call("POST", "/v1/layers", publishBody("tail", "no-such-layer"));
    expect(res.status).toBe(422);
    expect(res.json).toMatchObject({ error: { code: "layer_missing", field: "layer_id" } });
    expect((res.json as { error: { message: string } }).error.message).toMatch(/^layer_id: /);
  });

  it("refuses metadata that disagrees with the layer's layer.json (422 layer_mismatch)", async () => {
    await writeLayer(dir, "layer-a", { engine: "postgres-18.4" });
    const res = await cache.call(
      "POST",
      "/v1/layers",
      publishBody("tail", "layer-a", { engine: "postgres-15" }),
    );
    expect(res.status).toBe(422);
    expect(res.json).toMatchObject({ error: { code: "layer_mismatch", field: "engine" } });
    const size = await cache.call(
      "POST",
      "/v1/layers",
      publishBody("tail", "layer-a", { size_bytes: 99 }),
    );
    expect(size.status).toBe(422);
    expect(size.json).toMatchObject({ error: { code: "layer_mismatch", field: "size_bytes" } });
  });

  it("lets one layer (identical content) serve two tail hashes; GC keeps it while either is indexed", async () => {
    await writeLayer(dir, "layer-shared");
    const a = await cache.call(
      "POST",
      "/v1/layers",
      publishBody("t1", "layer-shared", { ttl_seconds: 60 }),
    );
    const b = await cache.call("POST", "/v1/layers", publishBody("t2", "layer-shared"));
    expect([a.status, b.status]).toEqual([201, 201]);
    const health = await cache.call("GET", "/healthz");
    expect(health.json).toMatchObject({ layers: 2, total_bytes: 1024 });

    clock.advance(120_000);
    const gc = GcResponse.parse((await cache.call("POST", "/v1/gc")).json);
    expect(gc.deleted.map((d) => [d.tail_hash, d.reason])).toEqual([[hashOf("t1"), "expired"]]);
    expect(await exists(join(dir, "layers", "layer-shared"))).toBe(true);
    const lookup = await cache.call("POST", "/v1/lookup", { hashes: [hashOf("t2")] });
    expect(LookupResponse.parse(lookup.json).match?.layer.layer_id).toBe("layer-shared");

    await cache.call("DELETE", `/v1/layers/by-hash/${hashOf("t2")}`);
    const last = GcResponse.parse((await cache.call("POST", "/v1/gc")).json);
    expect(last.deleted.map((d) => [d.layer_id, d.reason])).toEqual([["layer-shared", "orphan"]]);
    expect(await exists(join(dir, "layers", "layer-shared"))).toBe(false);
  });
});

describe("GET /v1/layers/:layer_id", () => {
  it("answers every metadata field", async () => {
    await writeLayer(dir, "layer-child", { bytes: 4096 });
    const body = publishBody("child", "layer-child", {
      parent_hash: hashOf("parent"),
      size_bytes: 4096,
      ttl_seconds: 600,
      engine: "postgres-18.4",
      settings_digest: "settings-v1",
    });
    await cache.call("POST", "/v1/layers", body);
    const res = await cache.call("GET", "/v1/layers/layer-child");
    expect(res.status).toBe(200);
    expect(LayerResponse.parse(res.json).layer).toEqual({
      tail_hash: hashOf("child"),
      layer_id: "layer-child",
      parent_hash: hashOf("parent"),
      engine: "postgres-18.4",
      settings_digest: "settings-v1",
      size_bytes: 4096,
      new_bytes: 4096,
      ttl_seconds: 600,
      created_at: "2026-03-01T12:00:00.000Z",
      last_used_at: "2026-03-01T12:00:00.000Z",
      expires_at: "2026-03-01T12:10:00.000Z",
    });

    const unknown = await cache.call("GET", "/v1/layers/layer-unknown");
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ error: { code: "layer_not_found", field: "layer_id" } });
  });

  it("keeps a layer at least as long as the longest ttl any publisher asked for", async () => {
    await writeLayer(dir, "layer-a");
    await cache.call("POST", "/v1/layers", publishBody("t", "layer-a", { ttl_seconds: 60 }));
    await cache.call("POST", "/v1/layers", publishBody("t", "layer-a", { ttl_seconds: 7200 }));
    await cache.call("POST", "/v1/layers", publishBody("t", "layer-a", { ttl_seconds: 30 }));
    const res = await cache.call("GET", "/v1/layers/layer-a");
    expect(LayerResponse.parse(res.json).layer.ttl_seconds).toBe(7200);
  });
});

describe("DELETE /v1/layers/by-hash/:tail_hash", () => {
  it("unindexes at once and leaves the directory to GC (which respects layers in use)", async () => {
    let inUse: string[] = ["layer-a"];
    await cache.handle.close();
    cache = await startTestCache(dir, { now: clock.now, inUse: async () => inUse });
    await writeLayer(dir, "layer-a");
    await cache.call("POST", "/v1/layers", publishBody("t", "layer-a"));

    const del = await cache.call("DELETE", `/v1/layers/by-hash/${hashOf("t")}`);
    expect(del.status).toBe(200);
    expect(LayerResponse.parse(del.json).layer.layer_id).toBe("layer-a");
    expect((await cache.call("GET", `/v1/layers/by-hash/${hashOf("t")}`)).status).toBe(404);
    expect((await cache.call("DELETE", `/v1/layers/by-hash/${hashOf("t")}`)).status).toBe(404);

    const pinned = GcResponse.parse((await cache.call("POST", "/v1/gc")).json);
    expect(pinned.deleted).toEqual([]);
    expect(pinned.kept_in_use).toEqual(["layer-a"]);
    expect(await exists(join(dir, "layers", "layer-a"))).toBe(true);

    inUse = [];
    const freed = GcResponse.parse((await cache.call("POST", "/v1/gc")).json);
    expect(freed.deleted.map((d) => [d.layer_id, d.reason])).toEqual([["layer-a", "orphan"]]);
    expect(await exists(join(dir, "layers", "layer-a"))).toBe(false);
  });
});
