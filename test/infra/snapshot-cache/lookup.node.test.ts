// Lookup of one tail hash and of a chain of prefix hashes (longest present prefix), against the real
// snapshot-cache service over HTTP.
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
  LayerResponse,
  LookupResponse,
  PublishResponse,
} from "../../../src/clients/contracts/snapshot-cache.ts";

let dir: string;
let clock: Clock;
let cache: TestCache;

beforeEach(async () => {
  dir = await makeDataDir();
  clock = makeClock(Date.parse("2026-01-01T00:00:00Z"));
  cache = await startTestCache(dir, { now: clock.now });
});
afterEach(async () => {
  await cache.handle.close();
  await removeDataDir(dir);
});

async function publish(label: string, layerId: string, ttl = 3600) {
  await writeLayer(dir, layerId);
  const res = await cache.call(
    "POST",
    "/v1/layers",
    publishBody(label, layerId, { ttl_seconds: ttl }),
  );
  expect(res.status).toBe(201);
  return PublishResponse.parse(res.json).layer;
}

describe("GET /v1/layers/by-hash/:tail_hash", () => {
  it("answers the layer of a published hash and 404 for an unknown one", async () => {
    await publish("tail-a", "layer-a");
    const hit = await cache.call("GET", `/v1/layers/by-hash/${hashOf("tail-a")}`);
    expect(hit.status).toBe(200);
    expect(LayerResponse.parse(hit.json).layer.layer_id).toBe("layer-a");

    const miss = await cache.call("GET", `/v1/layers/by-hash/${hashOf("tail-b")}`);
    expect(miss.status).toBe(404);
    expect(miss.json).toMatchObject({ error: { code: "layer_not_found" } });
    expect((miss.json as { error: { message: string } }).error.message).toContain("tail_hash");
  });

  it("does not mark the layer used", async () => {
    const before = await publish("tail-a", "layer-a");
    clock.advance(5_000);
    const res = await cache.call("GET", `/v1/layers/by-hash/${hashOf("tail-a")}`);
    expect(LayerResponse.parse(res.json).layer.last_used_at).toBe(before.last_used_at);
  });
});

describe("POST /v1/lookup", () => {
  it("finds a single hash and answers null on a miss", async () => {
    await publish("tail-a", "layer-a");
    const hit = await cache.call("POST", "/v1/lookup", { hashes: [hashOf("tail-a")] });
    expect(hit.status).toBe(200);
    const match = LookupResponse.parse(hit.json).match;
    expect(match).toMatchObject({ index: 0, tail_hash: hashOf("tail-a") });
    expect(match?.layer.layer_id).toBe("layer-a");

    const miss = await cache.call("POST", "/v1/lookup", { hashes: [hashOf("nothing")] });
    expect(LookupResponse.parse(miss.json)).toEqual({ match: null });
  });

  it("answers the longest present prefix of a chain in one call", async () => {
    const chain = ["h1", "h2", "h3", "h4", "h5", "h6"].map(hashOf);
    // Layers exist for prefixes 1 and 4 (indexes 0 and 3); 5 and 6 are not cached.
    await publish("h1", "layer-1");
    await publish("h4", "layer-4");
    const res = await cache.call("POST", "/v1/lookup", { hashes: chain });
    const match = LookupResponse.parse(res.json).match;
    expect(match?.index).toBe(3);
    expect(match?.tail_hash).toBe(chain[3]);
    expect(match?.layer.layer_id).toBe("layer-4");

    // A chain whose only cached prefix is the first step.
    const other = [hashOf("h1"), hashOf("x2"), hashOf("x3")];
    const res2 = await cache.call("POST", "/v1/lookup", { hashes: other });
    expect(LookupResponse.parse(res2.json).match).toMatchObject({ index: 0, tail_hash: other[0] });
  });

  it("marks the matched layer used, which slides its expiry", async () => {
    const before = await publish("tail-a", "layer-a", 60);
    clock.advance(30_000);
    const res = await cache.call("POST", "/v1/lookup", { hashes: [hashOf("tail-a")] });
    const layer = LookupResponse.parse(res.json).match?.layer;
    expect(Date.parse(layer?.last_used_at ?? "")).toBe(Date.parse(before.last_used_at) + 30_000);
    expect(Date.parse(layer?.expires_at ?? "")).toBe(Date.parse(before.expires_at) + 30_000);
  });

  it("treats an expired layer as absent, even before GC removes it", async () => {
    await publish("h1", "layer-1", 3600);
    await publish("h2", "layer-2", 60);
    clock.advance(61_000);
    const res = await cache.call("POST", "/v1/lookup", { hashes: [hashOf("h1"), hashOf("h2")] });
    expect(LookupResponse.parse(res.json).match).toMatchObject({ index: 0 });
    const one = await cache.call("GET", `/v1/layers/by-hash/${hashOf("h2")}`);
    expect(one.status).toBe(404);
  });
});
