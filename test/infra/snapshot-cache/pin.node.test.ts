// Pins: an extended job keeps the layers it used past their ttl and out of LRU, until the pin ends.
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
import { GcResponse, PinResponse } from "../../../src/clients/contracts/snapshot-cache.ts";

let dir: string;
let clock: Clock;
let cache: TestCache | undefined;

beforeEach(async () => {
  dir = await makeDataDir();
  clock = makeClock(Date.parse("2026-05-01T00:00:00Z"));
});
afterEach(async () => {
  await cache?.handle.close();
  cache = undefined;
  await removeDataDir(dir);
});

async function publish(c: TestCache, label: string, layerId: string, ttl = 60) {
  await writeLayer(dir, layerId, { bytes: 1000 });
  const body = publishBody(label, layerId, { size_bytes: 1000, ttl_seconds: ttl });
  expect((await c.call("POST", "/v1/layers", body)).status).toBe(201);
}
const gc = async (c: TestCache) => GcResponse.parse((await c.call("POST", "/v1/gc")).json);
const present = (layerId: string) =>
  access(join(dir, "layers", layerId)).then(
    () => true,
    () => false,
  );
const pin = async (c: TestCache, labels: string[], untilMs: number) => {
  const res = await c.call("POST", "/v1/layers/pin", {
    tail_hashes: labels.map(hashOf),
    until: new Date(untilMs).toISOString(),
  });
  expect(res.status).toBe(200);
  return PinResponse.parse(res.json).pinned;
};

describe("layer pins", () => {
  it("keep a layer past its ttl until the pin ends, then TTL expiry takes it", async () => {
    cache = await startTestCache(dir, { now: clock.now, inUse: async () => [] });
    await publish(cache, "pinned", "layer-pinned");
    await publish(cache, "plain", "layer-plain");
    expect(await pin(cache, ["pinned", "unknown"], clock.now() + 3_600_000)).toBe(1);

    clock.advance(120_000);
    expect((await gc(cache)).deleted.map((d) => d.layer_id)).toEqual(["layer-plain"]);
    expect(await present("layer-pinned")).toBe(true);
    const meta = await cache.call("GET", "/v1/layers/layer-pinned");
    expect(meta.status).toBe(200);

    clock.advance(3_600_000);
    expect((await gc(cache)).deleted.map((d) => d.layer_id)).toEqual(["layer-pinned"]);
    expect(await present("layer-pinned")).toBe(false);
  });

  it("keep a pinned layer out of LRU under the byte budget", async () => {
    cache = await startTestCache(dir, { now: clock.now, inUse: async () => [], byteBudget: 1500 });
    await publish(cache, "old", "layer-old", 3600);
    clock.advance(1000);
    await publish(cache, "new", "layer-new", 3600);
    await pin(cache, ["old"], clock.now() + 3_600_000);
    clock.advance(600_000);
    expect((await gc(cache)).deleted.map((d) => [d.layer_id, d.reason])).toEqual([
      ["layer-new", "lru"],
    ]);
  });

  it("refuses a malformed pin with 400", async () => {
    cache = await startTestCache(dir, { now: clock.now, inUse: async () => [] });
    const res = await cache.call("POST", "/v1/layers/pin", { tail_hashes: [], until: "soon" });
    expect(res.status).toBe(400);
  });
});
