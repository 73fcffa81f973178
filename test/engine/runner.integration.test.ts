// The script engine against a real PostgreSQL instance from the local platform, through the real
// WebSocket proxy and `@neondatabase/serverless`.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectPg } from "../../src/clients/pg.ts";
import { ScriptError } from "../../src/engine/errors.ts";
import { type RunScriptOptions, runScript } from "../../src/engine/runner.ts";
import type { ScriptEvent } from "../../src/engine/types.ts";
import { DEFAULT_SESSION_SETTINGS } from "../../src/planner/settings.ts";
import { createTestInstance, type TestInstance } from "../support/instance.ts";

let inst: TestInstance;
beforeAll(async () => {
  inst = await createTestInstance();
});
afterAll(async () => {
  await inst?.destroy();
});

function run(files: Record<string, string>, extra: Partial<RunScriptOptions> = {}) {
  const entry = Object.keys(files)[0]!;
  return runScript({
    files: new Map(Object.entries(files)),
    entry,
    settings: { ...DEFAULT_SESSION_SETTINGS },
    seed: 0.5,
    connect: (db) => connectPg(inst.connection, db),
    collectResults: true,
    ...extra,
  });
}

async function failure(p: Promise<unknown>): Promise<ScriptError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ScriptError);
    return e as ScriptError;
  }
  throw new Error("expected the script to fail");
}

describe("runScript", () => {
  it("runs statements in batches and returns exact text values", async () => {
    const progress: ScriptEvent[] = [];
    const res = await run(
      {
        "main.sql": [
          "CREATE TABLE vals (b bigint, n numeric, t timestamptz, f float8);",
          "INSERT INTO vals VALUES (9223372036854775807, 12345678901234567890.000000000001, '2024-02-29 23:59:59.123456+05', 0.1);",
          "SELECT b, n, t, f, NULL::text AS z FROM vals;",
        ].join("\n"),
      },
      { onEvent: (e) => progress.push(e) },
    );
    expect(res.stats.batches).toBe(1);
    expect(progress.map((e) => (e.kind === "progress" ? e.statements_done : e.kind))).toEqual([
      1, 2, 3,
    ]);
    expect(progress.at(-1)).toMatchObject({ statements_total: 3, file: "main.sql", line: 3 });
    const sel = res.sets[2]!;
    expect(sel.columns).toEqual([
      { name: "b", type: "int8" },
      { name: "n", type: "numeric" },
      { name: "t", type: "timestamptz" },
      { name: "f", type: "float8" },
      { name: "z", type: "text" },
    ]);
    expect(sel.rows).toEqual([
      [
        "9223372036854775807",
        "12345678901234567890.000000000001",
        "2024-02-29 18:59:59.123456+00",
        "0.1",
        null,
      ],
    ]);
    expect(res.sets.map((s) => s.tag)).toEqual(["CREATE TABLE", "INSERT 0 1", "SELECT 1"]);
  });

  it("keeps duplicate column names and resolves user type names", async () => {
    const res = await run({
      "main.sql":
        "CREATE TYPE mood AS ENUM ('ok', 'meh');\nSELECT 1 AS a, 2 AS a, 'ok'::mood AS m, ARRAY[1,2] AS arr;",
    });
    const sel = res.sets[1]!;
    expect(sel.columns).toEqual([
      { name: "a", type: "int4" },
      { name: "a", type: "int4" },
      { name: "m", type: "mood" },
      { name: "arr", type: "_int4" },
    ]);
    expect(sel.rows).toEqual([["1", "2", "ok", "{1,2}"]]);
  });

  it("applies the deterministic session settings and the seed", async () => {
    const script = {
      "main.sql":
        "SELECT current_setting('TimeZone'), current_setting('DateStyle'), current_setting('lc_messages'), current_setting('extra_float_digits'), now()::date = now()::date;\nSELECT random();",
    };
    const a = await run(script);
    const b = await run(script);
    expect(a.sets[0]!.rows[0]!.slice(0, 4)).toEqual(["UTC", "ISO, MDY", "C", "1"]);
    expect(a.sets[1]!.rows).toEqual(b.sets[1]!.rows);
    const c = await run(script, { seed: -0.25, settings: { TimeZone: "Asia/Tokyo" } });
    expect(c.sets[0]!.rows[0]![0]).toBe("Asia/Tokyo");
    expect(c.sets[1]!.rows).not.toEqual(a.sets[1]!.rows);
  });

  it("carries the session setup in front of the first batch: settings, errors and positions as before", async () => {
    const two = { "main.sql": "SELECT current_setting('runner.greeting');\nSELECT 2;" };
    const res = await run(two, { settings: { "runner.greeting": "héllo ✓" } });
    expect(res.stats.round_trips).toBe(1);
    expect(res.sets.map((s) => s.rows)).toEqual([[["héllo ✓"]], [["2"]]]);
    expect(res.database).toBe(inst.connection.database);
    // A syntax error in the first statement is located in the file, not in the carried setup.
    const syntax = await failure(
      run(
        { "main.sql": "SELECT 1 FROM pg_class WHER false;\nSELECT 2;" },
        {
          settings: { "runner.greeting": "héllo ✓" },
        },
      ),
    );
    expect(syntax).toMatchObject({
      code: "sql_error",
      file: "main.sql",
      line: 1,
      column: "SELECT 1 FROM pg_class WHER ".length + 1,
    });
    // A setting PostgreSQL refuses fails as the setup, at the entry, as before.
    const bad = await failure(run(two, { settings: { extra_float_digits: "99" } }));
    expect(bad).toMatchObject({ code: "sql_error", file: "main.sql", line: 1, column: 1 });
    expect(bad.message).toContain("applying session settings");
    const alone = await failure(
      run({ "main.sql": "SELECT 1;" }, { settings: { extra_float_digits: "99" } }),
    );
    expect(alone.message).toContain("applying session settings");
  });

  it("caps rows and bytes per result set and says so", async () => {
    const script = { "main.sql": "SELECT g, repeat('x', 100) FROM generate_series(1, 50) g;" };
    const byRows = await run(script, { limits: { maxRows: 10 } });
    expect(byRows.sets[0]).toMatchObject({ row_count: 50, truncated: true });
    expect(byRows.sets[0]!.rows).toHaveLength(10);
    const byBytes = await run(script, { limits: { maxBytes: 1000 } });
    expect(byBytes.sets[0]!.truncated).toBe(true);
    expect(byBytes.sets[0]!.rows.length).toBeLessThan(10);
    const all = await run(script);
    expect(all.sets[0]).toMatchObject({ row_count: 50, truncated: false });
  });

  it("reports a syntax error on line 37 of a file included by \\ir with file, line and column", async () => {
    const lines = Array.from({ length: 36 }, (_, i) => `INSERT INTO t VALUES (${i + 1});`);
    lines.push("SELECT a FROM t WHER a = 1;");
    const err = await failure(
      run({
        "main.sql": "CREATE TABLE t (a int);\n\\ir lib/inc.sql\nSELECT 'never';\n",
        "lib/inc.sql": lines.join("\n"),
      }),
    );
    expect(err).toMatchObject({
      code: "sql_error",
      sqlstate: "42601",
      file: "lib/inc.sql",
      line: 37,
      column: 22,
    });
    expect(err.message).toContain("lib/inc.sql:37:22");
    expect(err.message).toContain('syntax error at or near "a"');
  });

  it("reports a runtime error in the third statement of a batch at that statement", async () => {
    const err = await failure(
      run({
        "main.sql":
          "CREATE TABLE r (a int);\nINSERT INTO r VALUES (1);\n  INSERT INTO r SELECT 1 / (a - 1) FROM r;\nSELECT 4;",
      }),
    );
    expect(err).toMatchObject({
      code: "sql_error",
      sqlstate: "22012",
      file: "main.sql",
      line: 3,
      column: 3,
    });
    expect(err.message).toContain("division by zero");
  });

  it("loads COPY FROM stdin data, several COPYs in one batch, and locates a bad row", async () => {
    const rows = Array.from({ length: 5000 }, (_, i) => `${i}\tname ${i}; -- not sql`).join("\n");
    const res = await run({
      "main.sql": `CREATE TABLE c (id int, name text);\nCOPY c FROM stdin;\n${rows}\n\\.\nCOPY c (id) FROM stdin;\n-1\n\\.\nSELECT count(*), max(id), min(name) FROM c;`,
    });
    expect(res.stats.batches).toBe(1);
    expect(res.sets.map((s) => s.tag)).toEqual(["CREATE TABLE", "COPY 5000", "COPY 1", "SELECT 1"]);
    expect(res.sets[3]!.rows).toEqual([["5001", "4999", "name 0; -- not sql"]]);
    expect(res.stats.copy_bytes).toBeGreaterThan(100_000);

    const err = await failure(
      run({ "main.sql": "CREATE TABLE d (id int);\nCOPY d FROM stdin;\n1\n2\nthree\n4\n\\.\n" }),
    );
    expect(err).toMatchObject({ code: "sql_error", sqlstate: "22P02", file: "main.sql", line: 5 });
  });

  it("runs a \\; query as one unit: a result per statement, a COPY data block per COPY FROM stdin", async () => {
    // Before, the batch counted each CommandComplete as a unit of its own and failed with
    // connection_error (502) on the unit after it, and the second block was read as SQL.
    const events: ScriptEvent[] = [];
    const res = await run(
      {
        "main.sql": [
          "CREATE TABLE s (c int);",
          "SELECT 1\\; SELECT 2;",
          "SELECT 0\\; COPY s FROM stdin\\; COPY s FROM stdin\\; SELECT 3;",
          "1",
          "\\.",
          "2",
          "\\.",
          "SELECT string_agg(c::text, ',' ORDER BY c) FROM s;",
        ].join("\n"),
      },
      { onEvent: (e) => events.push(e) },
    );
    expect(res.sets.map((s) => s.tag)).toEqual([
      "CREATE TABLE",
      "SELECT 1",
      "SELECT 1",
      "SELECT 1",
      "COPY 1",
      "COPY 1",
      "SELECT 1",
      "SELECT 1",
    ]);
    expect(res.sets.map((s) => s.line)).toEqual([1, 2, 2, 3, 3, 3, 3, 8]);
    expect(res.sets.at(-1)!.rows).toEqual([["1,2"]]);
    const progress = events.flatMap((e) => (e.kind === "progress" ? [e.statements_done] : []));
    expect(progress).toEqual([1, 2, 3, 4]);

    const err = await failure(
      run({
        "main.sql":
          "CREATE TABLE e (c int);\nCOPY e FROM stdin\\; COPY e FROM stdin;\n1\n\\.\n2\nx\n\\.\n",
      }),
    );
    // The bad row is the second block's second line (line 6 of the file).
    expect(err).toMatchObject({ code: "sql_error", sqlstate: "22P02", file: "main.sql", line: 6 });
  });

  it("loads rows given to \\copy ... from stdin", async () => {
    const res = await run({
      "main.sql":
        'CREATE TABLE pc (a int, b text);\n\\copy pc from stdin with (format csv)\n1,"x, y"\n2,z\n\\.\nSELECT b FROM pc ORDER BY a;',
    });
    expect(res.sets.at(-1)!.rows).toEqual([["x, y"], ["z"]]);
  });

  it("returns COPY TO STDOUT output as a result set", async () => {
    const res = await run({
      "main.sql": "COPY (SELECT g, g * 2 FROM generate_series(1, 3) g) TO STDOUT;",
    });
    expect(res.sets[0]).toMatchObject({ tag: "COPY 3", rows: [["1\t2"], ["2\t4"], ["3\t6"]] });
  });

  it("switches databases with \\c, with CREATE DATABASE sent alone", async () => {
    const events: ScriptEvent[] = [];
    const res = await run(
      {
        "main.sql":
          "SELECT 1;\nDROP DATABASE IF EXISTS engine_c;\nCREATE DATABASE engine_c;\n\\c engine_c;\nCREATE TABLE here (a int);\nSELECT current_database();",
      },
      { onEvent: (e) => events.push(e) },
    );
    expect(res.database).toBe("engine_c");
    expect(res.sets.at(-1)!.rows).toEqual([["engine_c"]]);
    expect(events.filter((e) => e.kind === "connect")).toEqual([
      { kind: "connect", database: "engine_c", file: "main.sql", line: 4 },
    ]);
    const missing = await failure(run({ "main.sql": "SELECT 1;\n\\c no_such_db" }));
    expect(missing).toMatchObject({ code: "connection_error", file: "main.sql", line: 2 });
  });

  it("runs VACUUM and ALTER TYPE ... ADD VALUE between batches", async () => {
    const res = await run({
      "main.sql":
        "CREATE TYPE color AS ENUM ('red');\nCREATE TABLE v (c color);\nVACUUM v;\nALTER TYPE color ADD VALUE 'blue';\nINSERT INTO v VALUES ('blue');\nSELECT c FROM v;",
    });
    expect(res.stats.batches).toBe(4);
    expect(res.sets.at(-1)!.rows).toEqual([["blue"]]);
  });

  it("keeps explicit transactions working inside a batch", async () => {
    const res = await run({
      "main.sql":
        "CREATE TABLE tx (a int);\nBEGIN;\nINSERT INTO tx VALUES (1);\nROLLBACK;\nBEGIN;\nINSERT INTO tx VALUES (2);\nCOMMIT;\nSELECT array_agg(a)::text FROM tx;",
    });
    expect(res.stats.batches).toBe(3);
    expect(res.sets.at(-1)!.rows).toEqual([["{2}"]]);
  });

  it("logs \\echo in order and notices with the statement's file:line", async () => {
    const events: ScriptEvent[] = [];
    await run(
      {
        "main.sql": "\\set who world\n\\echo hello :who\n\\i lib/n.sql\n\\echo done\n",
        "lib/n.sql":
          "SELECT 1;\n\n  DO $$ BEGIN RAISE NOTICE 'from %', 'plpgsql'; END $$;\nSELECT 2;",
      },
      { onEvent: (e) => events.push(e) },
    );
    const logged = events.filter((e) => e.kind !== "progress");
    expect(logged).toEqual([
      { kind: "log", command: "echo", text: "hello world", file: "main.sql", line: 2 },
      {
        kind: "notice",
        severity: "NOTICE",
        message: "from plpgsql",
        sqlstate: "00000",
        file: "lib/n.sql",
        line: 3,
      },
      { kind: "log", command: "echo", text: "done", file: "main.sql", line: 4 },
    ]);
  });

  it("follows \\if on variables passed in", async () => {
    const files = {
      "main.sql": "\\if :big\nSELECT 'big' AS size;\n\\else\nSELECT 'small' AS size;\n\\endif",
    };
    expect((await run(files, { variables: { big: "on" } })).sets[0]!.rows).toEqual([["big"]]);
    expect((await run(files, { variables: { big: "off" } })).sets[0]!.rows).toEqual([["small"]]);
  });

  it("stops before sending anything when canceled, and reports script errors before running SQL", async () => {
    const ac = new AbortController();
    ac.abort();
    const canceled = await failure(run({ "main.sql": "SELECT 1;" }, { signal: ac.signal }));
    expect(canceled.code).toBe("canceled");
    const early = await failure(
      run({ "main.sql": "CREATE TABLE never_created (a int);\n\\! echo hi" }),
    );
    expect(early).toMatchObject({ code: "unsupported_command", line: 2 });
    const check = await run({ "main.sql": "SELECT to_regclass('never_created')::text;" });
    expect(check.sets[0]!.rows).toEqual([[null]]);
  });

  it("locates a PL/pgSQL syntax error inside a dollar-quoted body at its line in the file", async () => {
    const err = await failure(
      run({
        "main.sql": [
          "SELECT 1;",
          "CREATE FUNCTION broken() RETURNS int LANGUAGE plpgsql AS $body$",
          "BEGIN",
          "  RETURN 1 +;",
          "END",
          "$body$;",
        ].join("\n"),
      }),
    );
    expect(err).toMatchObject({ code: "sql_error", sqlstate: "42601", file: "main.sql", line: 4 });
  });

  it("reports canceled when the caller aborts and cancels the running query", async () => {
    const ac = new AbortController();
    const running = run(
      { "main.sql": "SELECT 1;\nSELECT pg_sleep(60) AS engine_cancel_probe;\nSELECT 3;" },
      { signal: ac.signal },
    );
    // Handle the rejection from the start: it may come while this test is still polling.
    const failed = failure(running);
    const admin = await connectPg(inst.connection);
    try {
      for (;;) {
        const r = await admin.query(
          "SELECT pid FROM pg_stat_activity WHERE query LIKE '%engine_cancel_probe%' AND pid <> pg_backend_pid()",
        );
        const pid = (r.rows[0] as { pid?: number } | undefined)?.pid;
        if (pid !== undefined) {
          ac.abort();
          await admin.query("SELECT pg_cancel_backend($1)", [pid]);
          break;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      await admin.end();
    }
    const err = await failed;
    expect(err).toMatchObject({ code: "canceled", file: "main.sql", line: 2 });
  });
});

describe("runScript type names", () => {
  it("names user types by one catalog lookup, or from knownTypes without one", async () => {
    await run({ "setup.sql": "CREATE TYPE hue AS ENUM ('red', 'green');" });
    const looked = await run({ "a.sql": "SELECT 'red'::hue AS h;" });
    expect(looked.sets[0]!.columns[0]!.type).toBe("hue");
    expect(looked.stats.round_trips).toBe(3);
    const oid = (await run({ "o.sql": "SELECT 'hue'::regtype::oid::text AS oid;" })).sets[0]!
      .rows[0]![0]!;
    // A name only the map knows shows the map was used, and the round trip is gone.
    const known = await run(
      { "b.sql": "SELECT 'red'::hue AS h;" },
      { knownTypes: { database: looked.database, names: { [oid]: "hue_from_boot" } } },
    );
    expect(known.sets[0]!.columns[0]!.type).toBe("hue_from_boot");
    expect(known.stats.round_trips).toBe(2);
    // The map is for its database only.
    const other = await run(
      { "c.sql": "SELECT 'red'::hue AS h;" },
      { knownTypes: { database: "not-this-one", names: { [oid]: "hue_from_boot" } } },
    );
    expect(other.sets[0]!.columns[0]!.type).toBe("hue");
  });
});
