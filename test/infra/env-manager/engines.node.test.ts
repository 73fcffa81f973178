// Engines and extensions at env-manager: every installed PostgreSQL (14 to 18 from the npm aliases)
// is listed with what pg_available_extension_versions says, boots as itself (SHOW server_version,
// SCRAM through the WebSocket proxy with the neon driver), keeps its layers to itself, and creates
// a base's extensions in template1 and the default database; bad requests are 422s naming the field.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connectViaProxy,
  startTestEnv,
  type TestEnv,
} from "../../../infra/local-dev/env-manager/test-harness.ts";
import { withAdmin } from "../../../infra/local-dev/postgres/admin.ts";
import { readExtensionOffers } from "../../../infra/local-dev/postgres/extensions.ts";
import type { EngineOffer } from "../../../src/clients/contracts/engines.ts";

let env: TestEnv;
let engines: EngineOffer[];

beforeAll(async () => {
  env = await startTestEnv();
  const health = await env.call("GET", "/healthz");
  expect(health.status).toBe(200);
  engines = health.json.engines;
});
afterAll(async () => {
  await env?.close();
});

const byMajor = (major: number) => engines.find((e) => e.major === major) as EngineOffer;

async function create(base: Record<string, unknown>) {
  const res = await env.call("POST", "/v1/instances", { from: { base }, ttl_ms: 120_000 });
  return res;
}

describe("engines", () => {
  it("lists PostgreSQL 14, 15, 16, 17 and 18, the newest as the default", () => {
    expect(engines.map((e) => e.major)).toEqual([14, 15, 16, 17, 18]);
    expect(engines.filter((e) => e.default).map((e) => e.major)).toEqual([18]);
    for (const e of engines) {
      expect(e.engine).toBe(`postgres-${e.version}`);
      expect(e.extensions.pg_trgm?.versions).toContain("1.6");
      expect(e.extensions.plpgsql?.trusted).toBe(true);
    }
    // Settings and privileges are version-gated: io_method from 18 on, CREATEROLE from 16 on.
    expect(byMajor(18).settings_digest).not.toBe(byMajor(17).settings_digest);
    expect(byMajor(16).settings_digest).not.toBe(byMajor(15).settings_digest);
  });

  it.each([14, 15, 16, 17, 18])(
    "boots PostgreSQL %i as itself, lists exactly its pg_available_extension_versions, and keeps its layer on it",
    async (major) => {
      const offer = byMajor(major);
      const created = await create({ engine: offer.engine });
      expect(created.status).toBe(201);
      expect(created.json.source.engine).toBe(offer.engine);
      const c = await connectViaProxy(created.json.connection);
      const version = await c.query("SHOW server_version");
      expect(version.rows[0].server_version).toBe(offer.version);
      // 15's public schema on every engine (14 is aligned in its base image): the user owns it.
      const owner = await c.query(
        "SELECT nspowner::regrole::text AS owner FROM pg_namespace WHERE nspname = 'public'",
      );
      expect(owner.rows[0].owner).toBe("pg_database_owner");
      await c.query("COMMENT ON SCHEMA public IS 'owned by the database owner'");
      await c.query("CREATE TABLE t AS SELECT 42 AS answer");
      await c.end();
      const inst = env.handle.manager.get(created.json.instance_id).instance;
      const real = await withAdmin(inst.socketDir, inst.adminPassword, readExtensionOffers);
      expect(offer.extensions).toEqual(real);

      const snap = await env.call("POST", `/v1/instances/${created.json.instance_id}/snapshot`);
      expect(snap.status).toBe(200);
      expect(snap.json.engine).toBe(offer.engine);
      expect(snap.json.settings_digest).toBe(offer.settings_digest);
      await env.call("DELETE", `/v1/instances/${created.json.instance_id}`);
      const fromLayer = await env.call("POST", "/v1/instances", {
        from: { layer_id: snap.json.layer_id },
      });
      expect(fromLayer.status).toBe(201);
      expect(fromLayer.json.source).toMatchObject({ engine: offer.engine });
      const again = await connectViaProxy(fromLayer.json.connection);
      const row = await again.query("SELECT current_setting('server_version') AS v, answer FROM t");
      expect(row.rows[0]).toEqual({ v: offer.version, answer: 42 });
      await again.end();
      await env.call("DELETE", `/v1/instances/${fromLayer.json.instance_id}`);
    },
    180_000,
  );

  it("answers 422 unsupported_engine listing the engines it has", async () => {
    const res = await create({ engine: "postgres-13.4" });
    expect(res.status).toBe(422);
    expect(res.json.error.code).toBe("unsupported_engine");
    const listed = engines.map((e) => e.version).join(", ");
    expect(res.json.error.message).toBe(
      `from.base.engine: postgres-13.4 is not available; available: ${listed} (as postgres-<version>)`,
    );
  });
});

describe("extensions in the base image", () => {
  it.each([14, 18])(
    "creates pg_trgm 1.5 on PostgreSQL %i in template1 and the default database; CREATE DATABASE inherits it",
    async (major) => {
      const offer = byMajor(major);
      const created = await create({ engine: offer.engine, extensions: { pg_trgm: "1.5" } });
      expect(created.status).toBe(201);
      const c = await connectViaProxy(created.json.connection);
      const installed = await c.query(
        "SELECT extname, extversion FROM pg_extension ORDER BY extname",
      );
      expect(installed.rows).toEqual([
        { extname: "pg_trgm", extversion: "1.5" },
        { extname: "plpgsql", extversion: "1.0" },
      ]);
      // The user (not a superuser) uses it and makes a database that inherits it.
      const sim = await c.query("SELECT similarity('word', 'words') > 0.5 AS close");
      expect(sim.rows[0].close).toBe(true);
      await c.query("CREATE DATABASE copied");
      await c.end();
      const copied = await connectViaProxy(created.json.connection, { database: "copied" });
      const there = await copied.query("SELECT extversion FROM pg_extension WHERE extname = $1", [
        "pg_trgm",
      ]);
      expect(there.rows).toEqual([{ extversion: "1.5" }]);
      await copied.end();
      await env.call("DELETE", `/v1/instances/${created.json.instance_id}`);
      // A base without extensions is another image: nothing but plpgsql there.
      const plain = await create({ engine: offer.engine });
      const p = await connectViaProxy(plain.json.connection);
      const none = await p.query("SELECT count(*)::int AS n FROM pg_extension");
      expect(none.rows[0].n).toBe(1);
      await p.end();
      await env.call("DELETE", `/v1/instances/${plain.json.instance_id}`);
    },
    180_000,
  );

  it("answers 422 unknown_extension and unsupported_extension_version naming the field", async () => {
    const engine = byMajor(18).engine;
    const unknown = await create({ engine, extensions: { nonexistent_ext: "9.9" } });
    expect(unknown.status).toBe(422);
    expect(unknown.json.error).toEqual({
      code: "unknown_extension",
      message: `from.base.extensions.nonexistent_ext: PostgreSQL ${byMajor(18).version} has no extension "nonexistent_ext"`,
    });
    const wrong = await create({ engine, extensions: { pg_trgm: "9.9" } });
    expect(wrong.status).toBe(422);
    expect(wrong.json.error.code).toBe("unsupported_extension_version");
    expect(wrong.json.error.message).toMatch(
      /^from\.base\.extensions\.pg_trgm: PostgreSQL 18\.\d+ cannot install pg_trgm version "9\.9"; available: 1\.3, 1\.4, 1\.5, 1\.6/,
    );
    // Listed (its control file is there) but not creatable: the shipped plpython3.so links
    // libpython3.6m, which current systems do not have; the server error comes back as a 422.
    const failed = await create({ engine, extensions: { plpython3u: "1.0" } });
    expect(failed.status).toBe(422);
    expect(failed.json.error.code).toBe("extension_failed");
    expect(failed.json.error.message).toMatch(/^from\.base\.extensions: /);
  }, 120_000);
});
