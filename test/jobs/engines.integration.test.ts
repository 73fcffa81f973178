// The manifest's engine and extensions are what runs: every engine the platform offers (14 to 18)
// answers a head's `SHOW server_version` with its own version, the job view names the exact engine,
// one tail on two engines is two tail hashes and two layers, the manifest's extensions are in the
// database (and in one a step creates), and what the platform lacks is a 422 at create.
import { beforeAll, describe, expect, it } from "vitest";
import type { EngineOffer } from "../../src/clients/contracts/engines.ts";
import { call, errorOf, uid } from "../api/helpers.ts";
import { testEnvManagerClient } from "../support/instance.ts";
import { runToEnd } from "./helpers.ts";

let engines: EngineOffer[];
beforeAll(async () => {
  engines = (await testEnvManagerClient().health()).engines;
});
const byMajor = (major: number) => engines.find((e) => e.major === major) as EngineOffer;

function tree(manifest: Record<string, unknown>, head: string, tag = uid("e").slice(2, 10)) {
  return {
    "sql-runner.json": JSON.stringify(manifest),
    "init/01_schema.sql": `CREATE TABLE notes_${tag.replace(/-/g, "_")} (id int PRIMARY KEY, body text);`,
    "test/head.sql": head,
  };
}

async function rejected(project_tree: Record<string, string>) {
  const res = await call("/v1/jobs", {
    body: {
      request_id: uid("req"),
      user_id: uid("user"),
      project_tree,
      head_path: "test/head.sql",
    },
  });
  return { status: res.status, error: await errorOf(res) };
}

describe("engines", () => {
  it.each([14, 15, 16, 17, 18])(
    'runs {"engine": "%i"} on the newest minor of that major the platform has',
    async (major) => {
      const offer = byMajor(major);
      const view = await runToEnd({
        project_tree: tree({ engine: String(major) }, "SHOW server_version;"),
        head_path: "test/head.sql",
      });
      expect(view.error).toBeNull();
      expect(view.result?.sets[0]?.rows).toEqual([[offer.version]]);
      expect(view.snapshot?.engine).toBe(`postgres-${offer.version}`);
    },
    180_000,
  );

  it('selects an exact version ("16.x") and reports it in the job view', async () => {
    const offer = byMajor(16);
    const view = await runToEnd({
      project_tree: tree({ engine: offer.version }, "SELECT current_setting('server_version');"),
      head_path: "test/head.sql",
    });
    expect(view.error).toBeNull();
    expect(view.result?.sets[0]?.rows).toEqual([[offer.version]]);
    expect(view.snapshot?.engine).toBe(offer.engine);
  }, 180_000);

  it("keeps one tail on two engines apart: two tail hashes, two layers", async () => {
    const tag = uid("same").slice(5, 13);
    const on14 = await runToEnd({
      project_tree: tree({ engine: "14" }, "SHOW server_version;", tag),
      head_path: "test/head.sql",
    });
    const on18 = await runToEnd({
      project_tree: tree({ engine: "18" }, "SHOW server_version;", tag),
      head_path: "test/head.sql",
    });
    expect(on14.error).toBeNull();
    expect(on18.error).toBeNull();
    expect(on14.snapshot?.tail_hash).not.toBe(on18.snapshot?.tail_hash);
    expect(on14.snapshot?.layer_id).toBeTruthy();
    expect(on18.snapshot?.layer_id).toBeTruthy();
    expect(on14.snapshot?.layer_id).not.toBe(on18.snapshot?.layer_id);
    // Each hits its own layer the second time, on its own engine.
    const again14 = await runToEnd({
      project_tree: tree({ engine: "14" }, "SHOW server_version;", tag),
      head_path: "test/head.sql",
    });
    expect(again14.snapshot).toMatchObject({ hit: true, layer_id: on14.snapshot?.layer_id });
    expect(again14.result?.sets[0]?.rows).toEqual([[byMajor(14).version]]);
  }, 240_000);

  it("answers 422 unsupported_engine at create, listing the available versions", async () => {
    const { status, error } = await rejected(tree({ engine: "13" }, "SELECT 1;"));
    expect(status).toBe(422);
    expect(error.code).toBe("unsupported_engine");
    expect(error.field).toBe("engine");
    const listed = engines.map((e) => e.version).join(", ");
    expect(error.message).toBe(
      `sql-runner.json: engine: PostgreSQL 13 is not available; available: ${listed}`,
    );
    const exact = await rejected(tree({ engine: "16.99" }, "SELECT 1;"));
    expect(exact.status).toBe(422);
    expect(exact.error.code).toBe("unsupported_engine");
  });
});

describe("extensions", () => {
  it.each([14, 18])(
    "creates the manifest's pg_trgm 1.6 on PostgreSQL %i before the first step, also for databases a step creates",
    async (major) => {
      const head = [
        "SELECT extname, extversion FROM pg_extension ORDER BY extname;",
        "SELECT similarity('word', 'words') > 0.5 AS close;",
        "\\c other",
        "SELECT extversion FROM pg_extension WHERE extname = 'pg_trgm';",
      ].join("\n");
      const project = {
        ...tree({ engine: String(major), extensions: { pg_trgm: "1.6" } }, head),
        "init/02_db.sql": "CREATE DATABASE other;",
      };
      const view = await runToEnd({ project_tree: project, head_path: "test/head.sql" });
      expect(view.error).toBeNull();
      const sets = view.result?.sets ?? [];
      expect(sets[0]?.rows).toEqual([
        ["pg_trgm", "1.6"],
        ["plpgsql", "1.0"],
      ]);
      expect(sets[1]?.rows).toEqual([["t"]]);
      expect(sets[2]?.rows).toEqual([["1.6"]]);
    },
    180_000,
  );

  it("answers 422 unknown_extension at create, naming the field", async () => {
    const { status, error } = await rejected(
      tree({ extensions: { nonexistent_ext: "9.9" } }, "SELECT 1;"),
    );
    expect(status).toBe(422);
    expect(error).toMatchObject({ code: "unknown_extension", field: "extensions.nonexistent_ext" });
    expect(error.message).toBe(
      `sql-runner.json: extensions.nonexistent_ext: PostgreSQL ${byMajor(18).version} has no extension "nonexistent_ext"`,
    );
  });

  it("answers 422 unsupported_extension_version at create, naming the field and the versions", async () => {
    const { status, error } = await rejected(
      tree({ engine: "14", extensions: { pg_trgm: "1.6", hstore: "9.9" } }, "SELECT 1;"),
    );
    expect(status).toBe(422);
    expect(error).toMatchObject({
      code: "unsupported_extension_version",
      field: "extensions.hstore",
    });
    expect(error.message).toMatch(
      /^sql-runner\.json: extensions\.hstore: PostgreSQL 14\.\d+ cannot install hstore version "9\.9"; available: 1\.4, .*1\.8$/,
    );
  });

  it("still lets a step create a trusted extension itself (PostgreSQL 14)", async () => {
    const view = await runToEnd({
      project_tree: {
        ...tree({ engine: "14" }, "SELECT ('a=>1'::hstore) -> 'a' AS a;"),
        "init/02_ext.sql": "CREATE EXTENSION hstore;",
      },
      head_path: "test/head.sql",
    });
    expect(view.error).toBeNull();
    expect(view.result?.sets[0]?.rows).toEqual([["1"]]);
  }, 180_000);
});
