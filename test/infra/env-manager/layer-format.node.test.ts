// Layer format 2 end to end: a 30-step chain with a background snapshot after every step; every
// layer boots into a cluster whose tables have exactly the checksums the replayed database had at
// that step; a step that changes little adds few bytes (unchanged files reuse their chunk lists).
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connectDirect,
  startTestEnv,
  type TestEnv,
} from "../../../infra/local-dev/env-manager/test-harness.ts";

let env: TestEnv;
let engine: string;

beforeAll(async () => {
  env = await startTestEnv();
  engine = env.handle.manager.binaries.engine;
});
afterAll(async () => {
  await env?.close();
});

/** One md5 per table of the public schema over its rows in a fixed order. */
async function checksums(c: pg.Client): Promise<Record<string, string>> {
  const tables = await c.query<{ t: string }>(
    "SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
  );
  const out: Record<string, string> = {};
  for (const { t } of tables.rows) {
    const r = await c.query<{ sum: string | null }>(
      `SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) AS sum FROM "${t}" x`,
    );
    out[t] = r.rows[0]?.sum ?? "";
  }
  return out;
}

/** Step i of the chain: creates, fills, updates, deletes, indexes and drops tables. */
function stepSql(i: number): string[] {
  const sql = [
    `CREATE TABLE t${i} (id int PRIMARY KEY, v text, n numeric)`,
    `INSERT INTO t${i} SELECT g, md5((g * ${i})::text), g * ${i} FROM generate_series(1, ${i * 150}) g`,
  ];
  if (i > 1) sql.push(`UPDATE t${i - 1} SET v = 'step ${i}' WHERE id % 3 = 0`);
  if (i > 2) sql.push(`DELETE FROM t${i - 2} WHERE id % 5 = 0`);
  if (i % 4 === 0) sql.push(`CREATE INDEX ON t${i} (v)`);
  if (i % 7 === 0) sql.push(`DROP TABLE t${i - 3}`);
  if (i % 10 === 0) sql.push(`VACUUM FULL t${i - 1}`);
  return sql;
}

async function session(created: { connection: { password: string } }, id: string) {
  const inst = env.handle.manager.get(id).instance;
  await inst.whenUsable();
  return connectDirect(inst.socketDir, {
    user: "postgres",
    password: created.connection.password,
    database: "postgres",
  });
}

describe("layer format 2", () => {
  it("boots every layer of a 30-step chain with the tables the replay had", async () => {
    const created = await env.call("POST", "/v1/instances", { from: { base: { engine } } });
    expect(created.status).toBe(201);
    const id: string = created.json.instance_id;
    const expected: { layerId: string; sums: Record<string, string>; logical: number }[] = [];
    for (let i = 1; i <= 30; i++) {
      const c = await session(created.json, id);
      for (const q of stepSql(i)) await c.query(q);
      const sums = await checksums(c);
      await c.end();
      const snap = await env.call("POST", `/v1/instances/${id}/snapshot`, { background: true });
      expect(snap.status).toBe(200);
      expect(snap.json).toMatchObject({ format: 2 });
      expected.push({ layerId: snap.json.layer_id, sums, logical: snap.json.size_bytes });
    }
    const newBytes: number[] = [];
    for (const e of expected) {
      const w = await env.call("GET", `/v1/layers/${e.layerId}/write?wait_ms=25000`);
      expect(w.status).toBe(200);
      expect(w.json.state).toBe("written");
      newBytes.push(w.json.new_bytes);
      const meta = JSON.parse(
        await readFile(join(env.dataDir, "layers", e.layerId, "layer.json"), "utf8"),
      );
      expect(meta).toMatchObject({ format: 2, logical_bytes: e.logical });
    }
    expect(new Set(expected.map((e) => e.layerId)).size).toBe(30);
    // Steps after the first add far less than a whole cluster (base chunks are stored once).
    for (const [i, n] of newBytes.entries()) {
      if (i > 0) expect(n).toBeLessThan((expected[i]?.logical ?? 0) / 10);
    }
    for (const e of expected) {
      const booted = await env.call("POST", "/v1/instances", { from: { layer_id: e.layerId } });
      expect(booted.status).toBe(201);
      expect(booted.json.boot.source).toBe("layer");
      const c = await session(booted.json, booted.json.instance_id);
      expect(await checksums(c)).toEqual(e.sums);
      await c.end();
      await env.call("DELETE", `/v1/instances/${booted.json.instance_id}`);
    }
  }, 600_000);

  it("a snapshot without changes reads and stores almost nothing", async () => {
    const created = await env.call("POST", "/v1/instances", { from: { base: { engine } } });
    const id: string = created.json.instance_id;
    const c = await session(created.json, id);
    await c.query(
      "CREATE TABLE big AS SELECT g, repeat('x', 200) AS pad FROM generate_series(1, 20000) g",
    );
    await c.end();
    const first = await env.call("POST", `/v1/instances/${id}/snapshot`);
    expect(first.json.written).toBe(true);
    const second = await env.call("POST", `/v1/instances/${id}/snapshot`);
    expect(second.json.written).toBe(true);
    // Only what a stop and start rewrite (control file, WAL, stats): well under the table's 5 MB.
    expect(second.json.new_bytes).toBeLessThan(300_000);
    expect(second.json.size_bytes).toBeGreaterThan(4_000_000);
  });

  it("answers the write state of a layer, and 400 for a bad wait_ms", async () => {
    const unknown = await env.call("GET", `/v1/layers/${"ab".repeat(32)}/write?wait_ms=0`);
    expect(unknown.status).toBe(200);
    expect(unknown.json).toEqual({ layer_id: "ab".repeat(32), state: "unknown", new_bytes: null });
    for (const bad of ["abc", "-1", "25001"]) {
      const r = await env.call("GET", `/v1/layers/${"ab".repeat(32)}/write?wait_ms=${bad}`);
      expect(r.status).toBe(400);
      expect(r.json.error.code).toBe("validation_failed");
      expect(r.json.error.message).toMatch(/^wait_ms: /);
    }
  });
});
