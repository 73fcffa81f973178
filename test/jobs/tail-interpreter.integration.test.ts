// A tail step that depends on the server's answers (`\gset`, `\if` on what it set, psql's
// automatic variables) runs in the head interpreter; PostgREST's fixtures are written this way
// (`... AS is_orioledb_available \gset` then `\if :is_orioledb_available`, `ALTER DATABASE
// :DBNAME ...`). Before, such a step failed with "\gset: meta-command not supported".
import { describe, expect, it } from "vitest";
import { runToEnd } from "./helpers.ts";

describe("tail steps that need the interpreter", () => {
  it("\\gset, \\if on its variable and :DBNAME work in a tail step, on a miss and a hit", async () => {
    const tag = crypto.randomUUID().slice(0, 8);
    const tree = {
      "init/01_setup.sql": [
        `-- ${tag}`,
        "SELECT EXISTS (SELECT FROM pg_available_extensions WHERE name = 'orioledb') AS has_oriole,",
        "       count(*) > 0 AS has_crypto FROM pg_available_extensions WHERE name = 'pgcrypto' \\gset",
        "\\if :has_oriole",
        "  CREATE TABLE picked (branch text); INSERT INTO picked VALUES ('oriole');",
        "\\elif :has_crypto",
        "  CREATE TABLE picked (branch text); INSERT INTO picked VALUES ('crypto');",
        "\\endif",
        "COMMENT ON DATABASE :\"DBNAME\" IS 'set by a tail step';",
        "",
      ].join("\n"),
      "test/check.sql":
        "SELECT branch, shobj_description((SELECT oid FROM pg_database WHERE datname = current_database()), 'pg_database') AS comment FROM picked;",
    };
    const miss = await runToEnd({ project_tree: tree, head_path: "test/check.sql" });
    expect(miss.error).toBeNull();
    expect(miss.snapshot?.hit).toBe(false);
    expect(miss.result?.sets[0]?.rows).toEqual([["crypto", "set by a tail step"]]);

    const hit = await runToEnd({ project_tree: tree, head_path: "test/check.sql" });
    expect(hit.snapshot?.hit).toBe(true);
    expect(hit.result?.sets).toEqual(miss.result?.sets);
  });

  it("an interpreted tail step fails at its first error, whatever \\set ON_ERROR_STOP says", async () => {
    const tree = {
      "init/01_setup.sql": [
        "\\set ON_ERROR_STOP off",
        "SELECT 1 AS one \\gset",
        "SELECT * FROM missing_table;",
        "CREATE TABLE after_error ();",
        "",
      ].join("\n"),
      "test/check.sql": "SELECT 1;",
    };
    const view = await runToEnd({ project_tree: tree, head_path: "test/check.sql" });
    expect(view.status).toBe("failed");
    expect(view.error).toMatchObject({
      code: "tail_error",
      sqlstate: "42P01",
      file: "init/01_setup.sql",
      line: 3,
    });
    expect(view.error?.message).toContain('relation "missing_table" does not exist');
  });

  it("a step after one that turns standard_conforming_strings off for the database lexes as the server does", async () => {
    // Step 2 does not name the setting, but its session starts with it off: `'a\\'b'` is one
    // literal (a'b). Batched and lexed as with it on, the statement was cut in the wrong place.
    const tag = crypto.randomUUID().slice(0, 8);
    const tree = {
      "init/01_off.sql": [
        `-- ${tag}`,
        "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET standard_conforming_strings = off', current_database()); END $$;",
        "",
      ].join("\n"),
      "init/02_rows.sql": "CREATE TABLE lit AS SELECT 'a\\'b; c' AS v;\n",
      "test/check.sql": "SELECT v, current_setting('standard_conforming_strings') AS scs FROM lit;",
    };
    const view = await runToEnd({ project_tree: tree, head_path: "test/check.sql" });
    expect(view.error).toBeNull();
    expect(view.result?.sets[0]?.rows).toEqual([["a'b; c", "off"]]);
  });
});
