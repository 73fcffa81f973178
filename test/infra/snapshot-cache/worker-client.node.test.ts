// The Worker's snapshot-cache client (src/clients/snapshot-cache.ts) against the real service: every
// call round-trips and parses, misses are null, rejections and outages are typed AppErrors.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  hashOf,
  makeDataDir,
  publishBody,
  removeDataDir,
  startTestCache,
  TEST_TOKEN,
  type TestCache,
  writeLayer,
} from "../../../infra/local-dev/snapshot-cache/test-harness.ts";
import {
  createSnapshotCacheClient,
  type SnapshotCacheClient,
} from "../../../src/clients/snapshot-cache.ts";
import { AppError } from "../../../src/errors.ts";

let dir: string;
let cache: TestCache;
let client: SnapshotCacheClient;

beforeAll(async () => {
  dir = await makeDataDir();
  cache = await startTestCache(dir);
  client = createSnapshotCacheClient({ baseUrl: cache.handle.url, token: TEST_TOKEN });
});
afterAll(async () => {
  await cache.handle.close();
  await removeDataDir(dir);
});

async function rejection(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof AppError)) throw new Error(`expected an AppError, got ${String(err)}`);
  return err;
}

describe("snapshot-cache client", () => {
  it("publishes, looks up, reads metadata, deletes and collects", async () => {
    await writeLayer(dir, "layer-c1");
    const created = await client.publish(publishBody("c1", "layer-c1"));
    expect(created.outcome).toBe("created");
    expect(await client.lookup([hashOf("c0"), hashOf("c1"), hashOf("c2")])).toMatchObject({
      index: 1,
      layer: { layer_id: "layer-c1" },
    });
    expect(await client.lookup([hashOf("none")])).toBeNull();
    expect((await client.getByHash(hashOf("c1")))?.layer_id).toBe("layer-c1");
    expect(await client.getByHash(hashOf("none"))).toBeNull();
    expect((await client.getLayer("layer-c1"))?.tail_hash).toBe(hashOf("c1"));
    expect(await client.getLayer("layer-none")).toBeNull();
    expect((await client.health()).status).toBe("ok");
    expect((await client.deleteByHash(hashOf("c1")))?.layer_id).toBe("layer-c1");
    expect(await client.deleteByHash(hashOf("c1"))).toBeNull();
    const gc = await client.gc();
    expect(gc.deleted.map((d) => d.layer_id)).toEqual(["layer-c1"]);
  });

  it("turns a refused publish into snapshot_cache_rejected with the upstream code", async () => {
    const err = await rejection(client.publish(publishBody("c9", "layer-not-written")));
    expect(err.code).toBe("snapshot_cache_rejected");
    expect(err.details.upstream_code).toBe("layer_missing");
    expect(err.message).toContain("layer_id");
  });

  it("maps a wrong token to snapshot_cache_unavailable", async () => {
    const bad = createSnapshotCacheClient({ baseUrl: cache.handle.url, token: "nope" });
    const err = await rejection(bad.lookup([hashOf("x")]));
    expect(err).toMatchObject({ status: 503, code: "snapshot_cache_unavailable" });
  });

  it("maps a service that never answers to snapshot_cache_unavailable after the timeout", async () => {
    // A listener that accepts connections and never responds: a hung upstream.
    const hung = createServer(() => {});
    await new Promise<void>((r) => hung.listen(0, "127.0.0.1", () => r()));
    const url = `http://127.0.0.1:${(hung.address() as AddressInfo).port}`;
    try {
      const slow = createSnapshotCacheClient({ baseUrl: url, token: TEST_TOKEN, timeoutMs: 200 });
      const err = await rejection(slow.lookup([hashOf("x")]));
      expect(err).toMatchObject({ status: 503, code: "snapshot_cache_unavailable" });
      expect(err.message).not.toContain("127.0.0.1");
    } finally {
      hung.closeAllConnections();
      await new Promise<void>((r) => hung.close(() => r()));
    }
  });
});
