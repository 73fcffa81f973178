// A pooled instance warms its caches before it is handed out (infra/local-dev/postgres/prewarm.ts):
// the layer's small tables are in shared buffers, the handed-out session already has the relation
// cache entries of the user's relations, and neither shows in the statistics the user can read.
import { neonConfig } from "@neondatabase/serverless";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import ws from "ws";
import {
  connectViaProxy,
  ONE_PER_SOURCE_POOL,
  startTestEnv,
  type TestEnv,
  waitFor,
} from "../../../infra/local-dev/env-manager/test-harness.ts";
import { withAdmin } from "../../../infra/local-dev/postgres/admin.ts";
import { prewarmScans } from "../../../infra/local-dev/postgres/prewarm.ts";
import { connectPg } from "../../../src/clients/pg.ts";

let env: TestEnv;
let engine: string;

beforeAll(async () => {
  neonConfig.webSocketConstructor = ws;
  env = await startTestEnv({ pool: ONE_PER_SOURCE_POOL });
  engine = env.handle.manager.binaries.engine;
});
afterAll(async () => {
  await env?.close();
});

/** Snapshots the instance, waits for its layer in the pool and takes a pooled instance of it. */
async function pooledHitOf(instanceId: string) {
  const snap = await env.call("POST", `/v1/instances/${instanceId}/snapshot`);
  const layerId: string = snap.json.layer_id;
  await waitFor(() => env.handle.manager.pool.sources().includes(`layer:${layerId}`));
  const hit = await env.call("POST", "/v1/instances", { from: { layer_id: layerId } });
  expect(hit.json.boot.source).toBe("pool");
  return hit;
}

/** The Buffers line under `Seq Scan on <table>` of an EXPLAIN (ANALYZE, BUFFERS) text plan. */
function scanBuffers(rows: Record<string, unknown>[], table: string): string {
  const lines = rows.map((r) => String(r["QUERY PLAN"]).trim());
  const at = lines.findIndex(
    (l) => l.includes(`Seq Scan on ${table}`) || l.includes(`Seq Scan on "${table}"`),
  );
  if (at < 0) return "";
  return lines.slice(at + 1).find((l) => l.startsWith("Buffers:")) ?? "";
}

const SEQ_SCANS = "SELECT seq_scan::int AS n FROM pg_stat_user_tables WHERE relname = 'films'";

describe("pool prewarm", () => {
  it("hands out a layer with its table in shared buffers, its relation cache built, its statistics untouched", async () => {
    const src = await env.call("POST", "/v1/instances", { from: { base: { engine } } });
    const c = await connectViaProxy(src.json.connection);
    await c.query(
      "CREATE TABLE films (id int PRIMARY KEY, title text); INSERT INTO films SELECT g, 'film ' || g FROM generate_series(1, 2000) g",
    );
    await c.query("SELECT count(*) FROM films");
    await c.end();
    const hit = await pooledHitOf(src.json.instance_id);
    const { instance } = env.handle.manager.get(hit.json.instance_id);
    // Test only: let the user role read its own backend's memory contexts.
    await withAdmin(instance.socketDir, instance.adminPassword, (a) =>
      a.query("GRANT pg_read_all_stats TO postgres"),
    );

    const handed = env.handle.manager.sessions.handedOff;
    const s = await connectPg(hit.json.connection);
    // Before this session touched films: its index already has a relation-cache entry.
    const cached = await s.query(
      "SELECT count(*)::int AS n FROM pg_backend_memory_contexts WHERE name = 'index info' AND ident = 'films_pkey'",
    );
    expect(env.handle.manager.sessions.handedOff).toBe(handed + 1);
    expect(cached.rows[0].n).toBe(1);
    // The layer was copied online (crash-consistent), so it carries no statistics: the user sees
    // no scan of films, none of the prewarm's.
    expect((await s.query(SEQ_SCANS)).rows[0].n).toBe(0);
    const plan = await s.query(
      "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT count(*) FROM films",
    );
    // The scan's own buffers: all hits, none read. (It may still set hint bits: dirtied. The
    // "Planning:" buffers that may follow are the catalog's, not the table's.)
    expect(scanBuffers(plan.rows, "films")).toMatch(
      /^Buffers: shared hit=\d+( dirtied=\d+)?( written=\d+)?$/,
    );
    await s.end();
  });

  it("runs as a superuser without calling anything the user defined", async () => {
    const src = await env.call("POST", "/v1/instances", { from: { base: { engine } } });
    const c = await connectViaProxy(src.json.connection);
    // A trap for a superuser whose search_path reaches public: every operator the prewarm's
    // catalog query uses, redefined to make the user a superuser, and a table whose name is SQL.
    await c.query(`CREATE FUNCTION public.grab(name, name) RETURNS boolean LANGUAGE plpgsql AS $$
      BEGIN EXECUTE 'ALTER ROLE postgres SUPERUSER'; RETURN true; END $$;
      CREATE FUNCTION public.grab_n(name, text) RETURNS boolean LANGUAGE plpgsql AS $$
      BEGIN EXECUTE 'ALTER ROLE postgres SUPERUSER'; RETURN false; END $$;
      CREATE OPERATOR public.<> (LEFTARG = name, RIGHTARG = name, FUNCTION = public.grab);
      CREATE OPERATOR public.!~ (LEFTARG = name, RIGHTARG = text, FUNCTION = public.grab_n);
      CREATE TABLE "t; ALTER ROLE postgres SUPERUSER; --" (id int);
      INSERT INTO "t; ALTER ROLE postgres SUPERUSER; --" VALUES (1);
      ALTER DATABASE postgres SET search_path = public, pg_catalog`);
    await c.end();
    const hit = await pooledHitOf(src.json.instance_id);
    const s = await connectPg(hit.json.connection);
    const role = await s.query("SELECT rolsuper FROM pg_roles WHERE rolname = current_user");
    expect(role.rows[0].rolsuper).toBe(false);
    // The table was read all the same (its name quoted), so the trap was not simply skipped.
    const plan = await s.query(
      `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT * FROM "t; ALTER ROLE postgres SUPERUSER; --"`,
    );
    expect(scanBuffers(plan.rows, "t; ALTER ROLE postgres SUPERUSER; --")).toMatch(
      /^Buffers: shared hit=\d+( dirtied=\d+)?( written=\d+)?$/,
    );
    await s.end();
  });

  it("reads small tables first, within the page budget", () => {
    const tables = [
      { name: "a", bytes: "8192" },
      { name: 'public."B b"', bytes: 3 * 8192 },
      { name: "c", bytes: 8 * 8192 },
    ];
    expect(prewarmScans(tables, 4)).toEqual([
      "SELECT count(*) FROM ONLY a",
      'SELECT count(*) FROM ONLY public."B b"',
    ]);
    expect(prewarmScans(tables, 0)).toEqual([]);
  });
});
