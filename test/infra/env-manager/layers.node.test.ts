// Snapshot and boot: what a tail creates (a role, a second database, an extension and their
// objects) survives into a layer and into every instance booted from it; layers are published
// atomically in the shared storage format and reported in use while instances run from them.
import { createHash } from "node:crypto";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connectViaProxy,
  startTestEnv,
  type TestEnv,
  waitFor,
} from "../../../infra/local-dev/env-manager/test-harness.ts";
import { ChunkStore } from "../../../infra/local-dev/layers/chunk-store.ts";
import { parseManifest } from "../../../infra/local-dev/layers/manifest.ts";
import { withAdmin } from "../../../infra/local-dev/postgres/admin.ts";

let env: TestEnv;
let engine: string;
const rolesByUser = () => env.handle.manager.binaries.major >= 16;

beforeAll(async () => {
  env = await startTestEnv();
  engine = env.handle.manager.binaries.engine;
});
afterAll(async () => {
  await env?.close();
});

async function tail(): Promise<{ instanceId: string; layerId: string; sizeBytes: number }> {
  const created = await env.call("POST", "/v1/instances", { from: { base: { engine } } });
  expect(created.status).toBe(201);
  expect(created.json.boot.source).toBe("base");
  const c = await connectViaProxy(created.json.connection);
  // Before PostgreSQL 16 the user's role has no CREATEROLE (docs/security.md): the admin makes it.
  if (rolesByUser()) await c.query(`CREATE ROLE app_reader LOGIN PASSWORD 'r'`);
  else {
    const inst = env.handle.manager.get(created.json.instance_id).instance;
    await withAdmin(inst.socketDir, inst.adminPassword, (admin) =>
      admin.query(`CREATE ROLE app_reader LOGIN PASSWORD 'r'`),
    );
  }
  await c.query(`CREATE DATABASE analytics`);
  await c.query(`CREATE EXTENSION hstore`);
  await c.query(`CREATE TABLE kv (id int PRIMARY KEY, attrs hstore)`);
  await c.query(`INSERT INTO kv VALUES (1, 'a=>1'), (2, 'b=>2')`);
  await c.query(`GRANT SELECT ON kv TO app_reader`);
  await c.end();
  const a = await connectViaProxy(created.json.connection, { database: "analytics" });
  await a.query(`CREATE TABLE facts AS SELECT g AS n FROM generate_series(1, 1000) g`);
  await a.end();
  const snap = await env.call("POST", `/v1/instances/${created.json.instance_id}/snapshot`);
  expect(snap.status).toBe(200);
  return {
    instanceId: created.json.instance_id,
    layerId: snap.json.layer_id,
    sizeBytes: snap.json.size_bytes,
  };
}

describe("snapshot and boot from a layer", () => {
  let layer: { instanceId: string; layerId: string; sizeBytes: number };
  beforeAll(async () => {
    layer = await tail();
  });

  it("publishes the layer atomically in the shared storage format", async () => {
    expect(layer.layerId).toMatch(/^[0-9a-f]{64}$/);
    const dir = join(env.dataDir, "layers", layer.layerId);
    const meta = JSON.parse(await readFile(join(dir, "layer.json"), "utf8"));
    expect(meta).toMatchObject({
      layer_id: layer.layerId,
      size_bytes: layer.sizeBytes,
      engine,
      settings_digest: env.handle.manager.digest,
    });
    // Format 2: the id is the SHA-256 of the manifest, every chunk it names is stored.
    const manifestBytes = await readFile(join(dir, "manifest.json"));
    expect(createHash("sha256").update(manifestBytes).digest("hex")).toBe(layer.layerId);
    const manifest = parseManifest(manifestBytes.toString("utf8"));
    expect(manifest.files.reduce((n, f) => n + f.size, 0)).toBe(layer.sizeBytes);
    expect(meta).toMatchObject({ format: 2, logical_bytes: layer.sizeBytes });
    expect(meta.new_bytes).toBeGreaterThan(0);
    const store = new ChunkStore(join(env.dataDir, "chunks"));
    for (const f of manifest.files) for (const h of f.chunks) expect(store.has(h)).toBe(true);
    await expect(stat(join(dir, "data.tar"))).rejects.toThrow();
    const names = await readdir(join(env.dataDir, "layers"));
    expect(names.filter((n) => n.startsWith(".tmp-"))).toEqual([]);
  });

  it("keeps the snapshotted instance usable with the same credentials", async () => {
    const info = await env.call("GET", `/v1/instances/${layer.instanceId}`);
    const c = await connectViaProxy(info.json.connection);
    const res = await c.query(`SELECT count(*)::int AS n FROM kv`);
    await c.end();
    expect(res.rows[0].n).toBe(2);
  });

  it("holds a connection made during a clean-stop snapshot until the server is back", async () => {
    const info = await env.call("GET", `/v1/instances/${layer.instanceId}`);
    const inst = env.handle.manager.get(layer.instanceId).instance;
    // An unlogged table makes the snapshot stop the server (online-snapshot.ts: crash recovery
    // would empty it); online snapshots keep the server running (online-snapshot.node.test.ts).
    const u = await connectViaProxy(info.json.connection);
    await u.query(`CREATE UNLOGGED TABLE scratch (n int)`);
    await u.end();
    const snapshot = env.call("POST", `/v1/instances/${layer.instanceId}/snapshot`);
    await waitFor(() => inst.status !== "ready");
    const c = await connectViaProxy(info.json.connection);
    const res = await c.query(`SELECT count(*)::int AS n FROM kv`);
    await c.end();
    expect(res.rows[0].n).toBe(2);
    expect((await snapshot).status).toBe(200);
  });

  it("boots an instance with the role, the database and the extension of the tail", async () => {
    const booted = await env.call("POST", "/v1/instances", { from: { layer_id: layer.layerId } });
    expect(booted.status).toBe(201);
    expect(booted.json.boot.source).toBe("layer");
    expect(booted.json.source.layer_id).toBe(layer.layerId);
    const c = await connectViaProxy(booted.json.connection);
    const role = await c.query(`SELECT rolcanlogin FROM pg_roles WHERE rolname = 'app_reader'`);
    expect(role.rows).toEqual([{ rolcanlogin: true }]);
    const ext = await c.query(`SELECT (attrs -> 'a') AS a FROM kv WHERE id = 1`);
    expect(ext.rows).toEqual([{ a: "1" }]);
    const grant = await c.query(
      `SELECT has_table_privilege('app_reader', 'kv', 'SELECT') AS can_read`,
    );
    expect(grant.rows[0].can_read).toBe(true);
    await c.end();
    const a = await connectViaProxy(booted.json.connection, { database: "analytics" });
    const facts = await a.query(`SELECT sum(n)::int AS s FROM facts`);
    await a.end();
    expect(facts.rows[0].s).toBe(500500);
  });

  it("gives every instance booted from one layer its own password", async () => {
    const one = await env.call("POST", "/v1/instances", { from: { layer_id: layer.layerId } });
    const two = await env.call("POST", "/v1/instances", { from: { layer_id: layer.layerId } });
    expect(one.json.connection.password).not.toBe(two.json.connection.password);
    await expect(
      connectViaProxy(two.json.connection, { password: one.json.connection.password }),
    ).rejects.toMatchObject({ code: "28P01" });
    await env.call("DELETE", `/v1/instances/${one.json.instance_id}`);
    await env.call("DELETE", `/v1/instances/${two.json.instance_id}`);
  });

  it("reports the layer in use while an instance runs from it", async () => {
    const booted = await env.call("POST", "/v1/instances", { from: { layer_id: layer.layerId } });
    const inUse = await env.call("GET", "/v1/layers/in-use");
    expect(inUse.json.layer_ids).toContain(layer.layerId);
    await env.call("DELETE", `/v1/instances/${booted.json.instance_id}`);
  });

  it("answers 404 layer_not_found for a layer that is not in storage", async () => {
    const res = await env.call("POST", "/v1/instances", { from: { layer_id: "f".repeat(64) } });
    expect(res.status).toBe(404);
    expect(res.json.error.code).toBe("layer_not_found");
    expect(res.json.error.message).toMatch(/from\.layer_id/);
  });
});
