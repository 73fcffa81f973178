// How a head runs (issue 17), end to end on the real stack: on_error stop/continue, output json
// and psql, echo all, expected-output verdicts, and several heads on one tail. Expected psql texts
// are what psql 15 prints for the same script (`psql -X -q -f PATH`, `-a` for echo).
import { describe, expect, it } from "vitest";
import { call, errorOf, uid } from "../api/helpers.ts";
import { runToEnd, waitDone } from "./helpers.ts";

function tree(tag: string, heads: Record<string, string>): Record<string, string> {
  return {
    "init/01_schema.sql": `CREATE TABLE h_${tag} (id int PRIMARY KEY, name text);`,
    "seed/01_rows.sql": `INSERT INTO h_${tag} VALUES (1, 'one'), (2, 'two');`,
    ...heads,
  };
}

const tag = () => crypto.randomUUID().slice(0, 8);

/** A head whose second statement fails (line 2, column 8) between two that succeed. */
const failing = (t: string) =>
  `SELECT count(*) AS n FROM h_${t};\nSELECT nope FROM h_${t};\nSELECT name FROM h_${t} ORDER BY id;\n`;

describe("head options", () => {
  it("stop (the default): the job fails at the error and keeps the result sets before it", async () => {
    const t = tag();
    const view = await runToEnd({
      project_tree: tree(t, { "test/bad.sql": failing(t) }),
      head_path: "test/bad.sql",
    });
    expect(view.status).toBe("failed");
    expect(view.on_error).toBeNull();
    expect(view.error).toMatchObject({
      code: "head_error",
      sqlstate: "42703",
      file: "test/bad.sql",
      line: 2,
      column: 8,
    });
    expect(view.result?.on_error).toBe("stop");
    expect(view.result?.sets.map((s) => s.rows)).toEqual([[["2"]]]);
    expect(view.result?.sets[0]).toMatchObject({ file: "test/bad.sql", line: 1, column: 1 });
    expect(view.result?.errors).toEqual([
      expect.objectContaining({ code: "sql_error", sqlstate: "42703", line: 2, set_index: 1 }),
    ]);
    expect(view.result?.stopped_by).toMatchObject({ line: 2, column: 8 });
  });

  it("continue: every statement runs; results and errors in order; the job completes", async () => {
    const t = tag();
    const view = await runToEnd({
      project_tree: tree(t, { "test/bad.sql": failing(t) }),
      head_path: "test/bad.sql",
      on_error: "continue",
    });
    expect(view.status).toBe("completed");
    expect(view.error).toBeNull();
    expect(view.on_error).toBe("continue");
    expect(view.result?.sets.map((s) => [s.line, s.rows])).toEqual([
      [1, [["2"]]],
      [3, [["one"], ["two"]]],
    ]);
    expect(view.result?.errors).toEqual([
      expect.objectContaining({ sqlstate: "42703", file: "test/bad.sql", line: 2, column: 8 }),
    ]);
    expect(view.result?.errors?.[0]?.set_index).toBe(1);
    expect(view.result?.stopped_by).toBeUndefined();
  });

  it("output psql: the text psql -X -q -f prints; without json there are no rows", async () => {
    const t = tag();
    const view = await runToEnd({
      project_tree: tree(t, { "test/bad.sql": failing(t) }),
      head_path: "test/bad.sql",
      on_error: "continue",
      output: "psql",
    });
    expect(view.status).toBe("completed");
    expect(view.output).toEqual(["psql"]);
    expect(view.result?.sets).toEqual([]);
    expect(view.result?.output).toBe(
      ` n 
---
 2
(1 row)

psql:test/bad.sql:2: ERROR:  column "nope" does not exist
LINE 1: SELECT nope FROM h_${t};
               ^
HINT:  Perhaps you meant to reference the column "h_${t}.name".
 name 
------
 one
 two
(2 rows)

`,
    );
    expect(view.result?.errors).toHaveLength(1);
  });

  it("output json + psql with echo all: both, and the input lines as psql -a echoes them", async () => {
    const t = tag();
    const head = `SELECT 1 AS a;\n\n\\echo done\n`;
    const plain = await runToEnd({
      project_tree: tree(t, { "test/echo.sql": head }),
      head_path: "test/echo.sql",
      output: ["json", "psql"],
    });
    expect(plain.result?.output).toBe(" a \n---\n 1\n(1 row)\n\ndone\n");
    const echoed = await runToEnd({
      project_tree: tree(t, { "test/echo.sql": head }),
      head_path: "test/echo.sql",
      output: ["psql", "json"],
      echo: "all",
    });
    expect(echoed.status).toBe("completed");
    expect(echoed.echo).toBe("all");
    expect(echoed.output).toEqual(["psql", "json"]);
    expect(echoed.result?.sets.map((s) => s.rows)).toEqual([[["1"]]]);
    expect(echoed.result?.output).toBe(
      "SELECT 1 AS a;\n a \n---\n 1\n(1 row)\n\n\\echo done\ndone\n",
    );
  });

  it("a head with an expected output runs in continue mode and reports the verdict", async () => {
    const t = tag();
    const expected = ` n \n---\n 2\n(1 row)\n\npsql:test/bad.sql:2: ERROR:  column "nope" does not exist\nLINE 1: SELECT nope FROM h_${t};\n               ^\nHINT:  Perhaps you meant to reference the column "h_${t}.name".\n name \n------\n one\n two\n(2 rows)\n\n`;
    const pass = await runToEnd({
      project_tree: tree(t, { "test/bad.sql": failing(t), "test/bad.out": expected }),
      head_path: "test/bad.sql",
    });
    expect(pass.status).toBe("completed");
    expect(pass.result?.on_error).toBe("continue");
    expect(pass.result?.test).toEqual({ passed: true, expected_path: "test/bad.out", diff: "" });
    // psql text is in the result only when asked for; the verdict is there either way.
    expect(pass.result?.output).toBeUndefined();

    const differs = await runToEnd({
      project_tree: tree(t, {
        "test/bad.sql": failing(t),
        "test/bad.out": expected.replace(" two\n", " three\n"),
      }),
      head_path: "test/bad.sql",
    });
    expect(differs.status).toBe("completed");
    expect(differs.result?.test?.passed).toBe(false);
    expect(differs.result?.test?.expected_path).toBe("test/bad.out");
    expect(differs.result?.test?.diff).toContain("-- test/bad.out");
    expect(differs.result?.test?.diff).toContain("\n- three\n+ two\n");
  });

  it("heads: each head in its own session on one tail, each reported separately", async () => {
    const t = tag();
    const view = await runToEnd({
      project_tree: tree(t, {
        "test/a_temp.sql": `CREATE TEMP TABLE only_here (x int);\nSELECT count(*) AS n FROM h_${t};\n`,
        "test/b_other.sql": "SELECT count(*) FROM only_here;\n",
        "test/c_ok.sql": `SELECT max(id) AS top FROM h_${t};\n`,
        "test/c_ok.out": " top \n-----\n   2\n(1 row)\n\n",
      }),
      heads: ["test/"],
    });
    expect(view.heads).toEqual(["test/a_temp.sql", "test/b_other.sql", "test/c_ok.sql"]);
    expect(view.head_path).toBe("test/a_temp.sql");
    const [a, b, c] = view.result?.heads ?? [];
    expect(a).toMatchObject({ path: "test/a_temp.sql", errors: [], on_error: "stop" });
    expect(a?.sets.at(-1)?.rows).toEqual([["2"]]);
    // The temporary table of head a does not exist in head b's session.
    expect(b?.path).toBe("test/b_other.sql");
    expect(b?.stopped_by).toMatchObject({ sqlstate: "42P01", file: "test/b_other.sql", line: 1 });
    expect(c).toMatchObject({ path: "test/c_ok.sql", on_error: "continue" });
    expect(c?.test).toEqual({ passed: true, expected_path: "test/c_ok.out", diff: "" });
    expect(view.result?.sets).toEqual([]);
    // A head that stopped at an error fails the job (naming it); the other heads still ran.
    expect(view.status).toBe("failed");
    expect(view.error).toMatchObject({ code: "head_error", file: "test/b_other.sql" });
    expect(view.snapshot?.tail_steps).toBe(2);
  });

  it("long job: run may set the options and the heads", async () => {
    const t = tag();
    const user = uid("user");
    const res = await call("/v1/jobs", {
      body: { request_id: uid("req"), user_id: user, mode: "long", on_error: "continue" },
    });
    expect(res.status).toBe(202);
    const { job_id: jobId } = await res.json<{ job_id: string }>();
    const part = await call(`/v1/jobs/${jobId}/append`, {
      user,
      body: {
        part: 1,
        project_tree: tree(t, {
          "test/one.sql": `SELECT 1 AS one;\nSELECT nope;\n`,
          "test/two.sql": "SELECT 2 AS two;\n",
        }),
      },
    });
    expect(part.status).toBe(200);
    const bad = await call(`/v1/jobs/${jobId}/run`, { user, body: { heads: ["test/three.sql"] } });
    expect(bad.status).toBe(422);
    expect((await errorOf(bad)).code).toBe("unknown_head");
    const ran = await call(`/v1/jobs/${jobId}/run`, {
      user,
      body: { heads: ["test/one.sql", "test/two.sql"], output: "psql" },
    });
    expect(ran.status).toBe(202);
    const view = await waitDone(jobId, user);
    expect(view.status).toBe("completed");
    expect(view.on_error).toBe("continue");
    expect(view.result?.heads?.map((h) => [h.path, h.errors.length, h.sets.length])).toEqual([
      ["test/one.sql", 1, 0],
      ["test/two.sql", 0, 0],
    ]);
    expect(view.result?.heads?.[1]?.output).toBe(" two \n-----\n   2\n(1 row)\n\n");
  });
});
