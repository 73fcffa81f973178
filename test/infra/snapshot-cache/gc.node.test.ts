// GC: TTL expiry (sliding from the last use), LRU under a byte budget, layers in use never deleted,
// and nothing deleted when env-manager cannot say what is in use.
import { access } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SnapshotCacheOptions } from "../../../infra/local-dev/snapshot-cache/server.ts";
import {
  type Clock,
  hashOf,
  makeClock,
  makeDataDir,
  publishBody,
  removeDataDir,
  startTestCache,
  TEST_TOKEN,
  type TestCache,
  writeLayer,
} from "../../../infra/local-dev/snapshot-cache/test-harness.ts";
import { GcResponse, LookupResponse } from "../../../src/clients/contracts/snapshot-cache.ts";

let dir: string;
let clock: Clock;
let cache: TestCache | undefined;
let inUse: string[];

beforeEach(async () => {
  dir = await makeDataDir();
  clock = makeClock(Date.parse("2026-05-01T00:00:00Z"));
  inUse = [];
});
afterEach(async () => {
  await cache?.handle.close();
  cache = undefined;
  await removeDataDir(dir);
});

async function start(opts: Partial<SnapshotCacheOptions> = {}): Promise<TestCache> {
  cache = await startTestCache(dir, { now: clock.now, inUse: async () => inUse, ...opts });
  return cache;
}

async function publish(c: TestCache, label: string, layerId: string, size = 1000, ttl = 3600) {
  await writeLayer(dir, layerId, { bytes: size });
  const body = publishBody(label, layerId, { size_bytes: size, ttl_seconds: ttl });
  expect((await c.call("POST", "/v1/layers", body)).status).toBe(201);
}

const gc = async (c: TestCache) => {
  const res = await c.call("POST", "/v1/gc");
  expect(res.status).toBe(200);
  return GcResponse.parse(res.json);
};
const present = (layerId: string) =>
  access(join(dir, "layers", layerId)).then(
    () => true,
    () => false,
  );

describe("TTL", () => {
  it("deletes a layer unused for its ttl, counting from the last use", async () => {
    const c = await start();
    await publish(c, "short", "layer-short", 1000, 60);
    await publish(c, "long", "layer-long", 1000, 3600);

    clock.advance(50_000);
    // A lookup at 50 s slides layer-short's expiry to 110 s.
    await c.call("POST", "/v1/lookup", { hashes: [hashOf("short")] });
    clock.advance(50_000);
    expect((await gc(c)).deleted).toEqual([]);

    clock.advance(10_000);
    const run = await gc(c);
    expect(run.deleted).toEqual([
      { layer_id: "layer-short", tail_hash: hashOf("short"), reason: "expired", size_bytes: 1000 },
    ]);
    expect(await present("layer-short")).toBe(false);
    expect(await present("layer-long")).toBe(true);
    expect(run.total_bytes).toBe(1000);
  });
});

describe("background GC", () => {
  it("runs on its own every gcIntervalMs", async () => {
    const c = await start({ gcIntervalMs: 20 });
    await publish(c, "short", "layer-short", 1000, 60);
    clock.advance(61_000);
    // Poll (no timing assertion): the periodic run removes the expired layer.
    for (let i = 0; i < 500 && (await present("layer-short")); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(await present("layer-short")).toBe(false);
    expect((await c.call("GET", "/v1/layers/layer-short")).status).toBe(404);
  });
});

describe("LRU under a byte budget", () => {
  it("deletes least recently used layers until the indexed bytes fit", async () => {
    const c = await start({ byteBudget: 2500 });
    for (const n of [1, 2, 3, 4]) {
      await publish(c, `t${n}`, `layer-${n}`);
      clock.advance(1000);
    }
    // Use layer-1 again: layer-2 and layer-3 are now the least recently used.
    await c.call("POST", "/v1/lookup", { hashes: [hashOf("t1")] });
    clock.advance(1000);

    const run = await gc(c);
    expect(run.deleted.map((d) => [d.layer_id, d.reason])).toEqual([
      ["layer-2", "lru"],
      ["layer-3", "lru"],
    ]);
    expect(run.total_bytes).toBe(2000);
    expect(run.byte_budget).toBe(2500);
    expect(await present("layer-1")).toBe(true);
    expect(await present("layer-4")).toBe(true);
    const miss = await c.call("POST", "/v1/lookup", { hashes: [hashOf("t2")] });
    expect(LookupResponse.parse(miss.json).match).toBeNull();
  });

  it("spares layers used within the recent-use grace (a lookup whose boot is under way)", async () => {
    const c = await start({ byteBudget: 0, recentUseGraceMs: 30_000 });
    await publish(c, "old", "layer-old");
    clock.advance(60_000);
    await publish(c, "fresh", "layer-fresh");
    const run = await gc(c);
    expect(run.deleted.map((d) => d.layer_id)).toEqual(["layer-old"]);
    expect(await present("layer-fresh")).toBe(true);
  });
});

describe("layers in use", () => {
  it("are never deleted: not when expired, not by LRU, not as orphans", async () => {
    const c = await start({ byteBudget: 0 });
    await publish(c, "a", "layer-a", 1000, 60);
    await publish(c, "b", "layer-b", 1000, 3600);
    await writeLayer(dir, "layer-loser");
    await c.call("POST", "/v1/layers", publishBody("b", "layer-loser"));
    inUse = ["layer-a", "layer-b", "layer-loser"];
    clock.advance(120_000);

    const run = await gc(c);
    expect(run.deleted).toEqual([]);
    expect(run.kept_in_use).toEqual(["layer-a", "layer-b", "layer-loser"]);
    for (const id of inUse) expect(await present(id)).toBe(true);

    inUse = ["layer-b"];
    const later = await gc(c);
    expect(later.deleted.map((d) => [d.layer_id, d.reason]).sort()).toEqual([
      ["layer-a", "expired"],
      ["layer-loser", "orphan"],
    ]);
    expect(later.kept_in_use).toEqual(["layer-b"]);
    expect(await present("layer-b")).toBe(true);
  });
});

describe("env-manager over HTTP", () => {
  let envManager: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((r) => (envManager ? envManager.close(() => r()) : r()));
    envManager = undefined;
  });

  /** A stand-in serving env-manager's in-use route, or a fault (status 500). */
  async function envManagerAnswering(status: number, layerIds: string[]): Promise<string> {
    envManager = createServer((req, res) => {
      const authorized = req.headers.authorization === `Bearer ${TEST_TOKEN}`;
      const ok = authorized && req.url === "/v1/layers/in-use" && status === 200;
      res.writeHead(ok ? 200 : authorized ? status : 401, { "content-type": "application/json" });
      res.end(JSON.stringify(ok ? { layer_ids: layerIds } : { error: { code: "boom" } }));
    });
    await new Promise<void>((r) => envManager?.listen(0, "127.0.0.1", () => r()));
    return `http://127.0.0.1:${(envManager.address() as AddressInfo).port}`;
  }

  async function closedPort(): Promise<string> {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
    const { port } = s.address() as AddressInfo;
    await new Promise<void>((r) => s.close(() => r()));
    return `http://127.0.0.1:${port}`;
  }

  it("asks env-manager with the platform token and keeps what it reports", async () => {
    const url = await envManagerAnswering(200, ["layer-a"]);
    const c = await start({ envManagerUrl: url, inUse: undefined, byteBudget: 0 });
    await publish(c, "a", "layer-a");
    await publish(c, "b", "layer-b");
    clock.advance(1000);
    const run = await gc(c);
    expect(run.deleted.map((d) => d.layer_id)).toEqual(["layer-b"]);
    expect(run.kept_in_use).toEqual(["layer-a"]);
  });

  for (const [name, target] of [
    ["unreachable", closedPort],
    ["answering 500", () => envManagerAnswering(500, [])],
  ] as const) {
    it(`deletes nothing when env-manager is ${name}`, async () => {
      const c = await start({ envManagerUrl: await target(), inUse: undefined, byteBudget: 0 });
      await publish(c, "a", "layer-a", 1000, 60);
      await writeLayer(dir, "layer-loser");
      await c.call("POST", "/v1/layers", publishBody("a", "layer-loser"));
      clock.advance(3_600_000);

      const res = await c.call("POST", "/v1/gc");
      expect(res.status).toBe(503);
      expect(res.json).toMatchObject({ error: { code: "env_manager_unavailable" } });
      expect(await present("layer-a")).toBe(true);
      expect(await present("layer-loser")).toBe(true);
      const meta = await c.call("GET", "/v1/layers/layer-a");
      expect(meta.status).toBe(200);
    });
  }

  it("deletes nothing when no env-manager is configured at all", async () => {
    const c = await start({ inUse: undefined, byteBudget: 0 });
    await publish(c, "a", "layer-a", 1000, 60);
    clock.advance(3_600_000);
    const res = await c.call("POST", "/v1/gc");
    expect(res.status).toBe(503);
    expect(await present("layer-a")).toBe(true);
  });
});
