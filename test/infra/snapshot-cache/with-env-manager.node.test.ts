// snapshot-cache with the real env-manager and real PostgreSQL layers on one data root: two instances
// snapshotted concurrently race to publish one tail hash (one wins, both are told the winner), a
// layer.json written by env-manager is what publish checks, and GC asks env-manager over HTTP and
// never deletes a layer an instance was booted from, however expired or over budget it is.
import { access } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connectViaProxy,
  startTestEnv,
  type TestEnv,
} from "../../../infra/local-dev/env-manager/test-harness.ts";
import {
  hashOf,
  makeClock,
  startTestCache,
  TEST_TOKEN,
  type TestCache,
} from "../../../infra/local-dev/snapshot-cache/test-harness.ts";
import {
  GcResponse,
  LookupResponse,
  PublishResponse,
} from "../../../src/clients/contracts/snapshot-cache.ts";

let env: TestEnv;
let cache: TestCache;
let engine: string;
const clock = makeClock();

beforeAll(async () => {
  env = await startTestEnv();
  engine = env.handle.manager.binaries.engine;
  cache = await startTestCache(env.dataDir, {
    token: TEST_TOKEN,
    envManagerUrl: env.handle.url,
    inUse: undefined,
    byteBudget: 0,
    now: clock.now,
  });
});
afterAll(async () => {
  await cache?.handle.close();
  await env?.close();
});

/** Boots an instance from the base image, writes `rows` rows, snapshots it. */
async function buildLayer(rows: number) {
  const created = await env.call("POST", "/v1/instances", { from: { base: { engine } } });
  expect(created.status, JSON.stringify(created.json)).toBe(201);
  const c = await connectViaProxy(created.json.connection);
  await c.query(`CREATE TABLE t AS SELECT g AS n FROM generate_series(1, ${rows}) g`);
  await c.end();
  const snap = await env.call("POST", `/v1/instances/${created.json.instance_id}/snapshot`);
  expect(snap.status).toBe(200);
  return { instanceId: created.json.instance_id as string, snap: snap.json };
}

const present = (layerId: string) =>
  access(join(env.dataDir, "layers", layerId)).then(
    () => true,
    () => false,
  );

describe("snapshot-cache with the real env-manager", () => {
  it("publishes two real layers of one tail concurrently: one winner, the same answer for both", async () => {
    const [a, b] = await Promise.all([buildLayer(100), buildLayer(200)]);
    expect(a.snap.layer_id).not.toBe(b.snap.layer_id);
    const hash = hashOf("real-tail");
    const answers = await Promise.all(
      [a, b].map(({ snap }) =>
        cache.call("POST", "/v1/layers", {
          tail_hash: hash,
          layer_id: snap.layer_id,
          parent_hash: null,
          engine: snap.engine,
          settings_digest: snap.settings_digest,
          size_bytes: snap.size_bytes,
          ttl_seconds: 60,
        }),
      ),
    );
    const parsed = answers.map((r) => PublishResponse.parse(r.json));
    expect(parsed.map((p) => p.outcome).sort()).toEqual(["created", "lost_race"]);
    expect(parsed[0]?.layer.layer_id).toBe(parsed[1]?.layer.layer_id);
    const winner = parsed[0]?.layer.layer_id ?? "";
    const loser = winner === a.snap.layer_id ? b.snap.layer_id : a.snap.layer_id;

    // An instance booted from the winning layer pins it.
    const booted = await env.call("POST", "/v1/instances", { from: { layer_id: winner } });
    expect(booted.status).toBe(201);
    const inUse = await env.call("GET", "/v1/layers/in-use");
    expect(inUse.json.layer_ids).toContain(winner);

    // Expired (ttl 60 s, clock two hours on) and over a zero byte budget: still kept.
    clock.advance(2 * 3600_000);
    const gc = await cache.call("POST", "/v1/gc");
    expect(gc.status).toBe(200);
    const run = GcResponse.parse(gc.json);
    expect(run.kept_in_use).toContain(winner);
    expect(run.deleted.map((d) => d.layer_id)).not.toContain(winner);
    expect(await present(winner)).toBe(true);
    // The loser is an orphan: removed, unless env-manager still reports it (its publish grace).
    if (run.kept_in_use.includes(loser)) expect(await present(loser)).toBe(true);
    else {
      expect(run.deleted).toContainEqual(
        expect.objectContaining({ layer_id: loser, reason: "orphan" }),
      );
      expect(await present(loser)).toBe(false);
    }

    // The pinned layer still boots.
    const again = await env.call("POST", "/v1/instances", { from: { layer_id: winner } });
    expect(again.status).toBe(201);
    for (const id of [
      a.instanceId,
      b.instanceId,
      booted.json.instance_id,
      again.json.instance_id,
    ]) {
      await env.call("DELETE", `/v1/instances/${id}`);
    }
    // Expired entries are misses for lookups even while their directory is kept.
    const lookup = await cache.call("POST", "/v1/lookup", { hashes: [hash] });
    expect(LookupResponse.parse(lookup.json).match).toBeNull();
  });

  it("refuses to publish a real layer under another engine than its layer.json names", async () => {
    const { instanceId, snap } = await buildLayer(10);
    const res = await cache.call("POST", "/v1/layers", {
      tail_hash: hashOf("wrong-engine"),
      layer_id: snap.layer_id,
      parent_hash: null,
      engine: "postgres-9.6",
      settings_digest: snap.settings_digest,
      size_bytes: snap.size_bytes,
      ttl_seconds: 60,
    });
    expect(res.status).toBe(422);
    expect(res.json).toMatchObject({ error: { code: "layer_mismatch", field: "engine" } });
    await env.call("DELETE", `/v1/instances/${instanceId}`);
  });
});
