import { describe, expect, it } from "vitest";
import { connectTarget } from "../../src/engine/connect-target.ts";
import { ScriptError } from "../../src/engine/errors.ts";
import { expandScript } from "../../src/engine/expand.ts";
import type { SqlUnit, Unit } from "../../src/engine/units.ts";

const run = (
  files: Record<string, string>,
  entry = "main.sql",
  variables?: Record<string, string>,
) =>
  expandScript({
    files: new Map(Object.entries(files)),
    entry,
    ...(variables ? { variables } : {}),
  }).units;
const sql = (units: Unit[]) =>
  units.filter((u): u is SqlUnit => u.kind === "sql").map((u) => u.text);

function expectError(fn: () => unknown, code: string, file: string, line: number): ScriptError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ScriptError);
    const err = e as ScriptError;
    expect({ code: err.code, file: err.file, line: err.line }).toEqual({ code, file, line });
    expect(err.message).toContain(`${file}:${line}`);
    return err;
  }
  throw new Error("expected a ScriptError");
}

describe("statements", () => {
  it("cuts statements at ; and drops leading whitespace and -- comments", () => {
    const units = run({ "main.sql": "-- header\n\nSELECT 1;  SELECT\n  2;\n\n-- trailer\n" });
    expect(units).toMatchObject([
      { kind: "sql", text: "SELECT 1;", line: 3, column: 1 },
      { kind: "sql", text: "SELECT\n  2;", line: 3, column: 12 },
    ]);
  });

  it("sends the rest of a file without a final ; or newline, without trailing comments", () => {
    expect(sql(run({ "main.sql": "SELECT 1;\nSELECT 2 -- two\n-- end" }))).toEqual([
      "SELECT 1;",
      "SELECT 2",
    ]);
  });

  it("attaches COPY inline data, which may contain ; and --", () => {
    const units = run({
      "main.sql": "COPY t (a) FROM stdin;\nx;y\n-- z\n\\.\nSELECT 1;\n",
    });
    expect(units[0]).toMatchObject({
      kind: "sql",
      text: "COPY t (a) FROM stdin;",
      copy: { data: "x;y\n-- z\n", file: "main.sql", line: 2 },
    });
    expect(sql(units)).toEqual(["COPY t (a) FROM stdin;", "SELECT 1;"]);
  });

  it("runs \\copy ... from stdin with the rows that follow it, and \\copy ... to stdout", () => {
    const units = run({
      "main.sql":
        "\\copy t (a, b) from stdin with csv;\n1,x;y\n2,--z\n\\.\n\\copy (SELECT 1) to stdout\n",
    });
    expect(units).toMatchObject([
      {
        kind: "sql",
        text: "COPY t (a, b) from stdin with csv;",
        line: 1,
        copy: { data: "1,x;y\n2,--z\n", line: 2 },
      },
      { kind: "sql", text: "COPY (SELECT 1) to stdout;", line: 5 },
    ]);
  });

  it("drops statements made only of comments", () => {
    expect(sql(run({ "main.sql": "/* nothing */;\n;\nSELECT 1;" }))).toEqual(["SELECT 1;"]);
  });
});

describe("variables", () => {
  it("interpolates :name, :'name', :\"name\" and :{?name}, and leaves unknown ones", () => {
    const units = run({
      "main.sql":
        "\\set t my\"tab\n\\set v 'it''s'\nSELECT :v_missing, :'v', :\"t\", :{?t}, :{?nope}, ':v', x::int FROM :\"t\";",
    });
    expect(sql(units)).toEqual([
      `SELECT :v_missing, 'it''s', "my""tab", TRUE, FALSE, ':v', x::int FROM "my""tab";`,
    ]);
  });

  it("uses E'' for literals with backslashes, as psql does", () => {
    expect(sql(run({ "main.sql": "SELECT :'v';" }, "main.sql", { v: "a\\b" }))).toEqual([
      "SELECT  E'a\\\\b';",
    ]);
  });

  it("re-lexes a plain variable, so its value may hold several statements", () => {
    expect(sql(run({ "main.sql": "\\set q 'SELECT 1; SELECT 2'\n:q;" }))).toEqual([
      "SELECT 1;",
      "SELECT 2;",
    ]);
  });

  it("takes initial variables, joins \\set values and forgets \\unset ones", () => {
    const units = run(
      { "main.sql": "\\set b x y z\nSELECT :a, :b;\n\\unset a\nSELECT :a;" },
      "main.sql",
      { a: "42" },
    );
    expect(sql(units)).toEqual(["SELECT 42, xyz;", "SELECT :a;"]);
  });

  it("rejects an invalid variable name and AUTOCOMMIT off", () => {
    expectError(() => run({ "main.sql": "SELECT 1;\n\\set a-b 1" }), "script_error", "main.sql", 2);
    expectError(
      () => run({ "main.sql": "\\set AUTOCOMMIT off" }),
      "unsupported_command",
      "main.sql",
      1,
    );
  });
});

describe("conditionals", () => {
  const script = [
    "\\if :{?mode}",
    "  \\if :mode",
    "SELECT 'on';",
    "  \\else",
    "SELECT 'off';",
    "  \\endif",
    "\\elif true",
    "SELECT 'unset';",
    "\\else",
    "SELECT 'never';",
    "\\endif",
    "SELECT 'after';",
  ].join("\n");

  it("runs the branch that holds, nested", () => {
    expect(sql(run({ "main.sql": script }, "main.sql", { mode: "yes" }))).toEqual([
      "SELECT 'on';",
      "SELECT 'after';",
    ]);
    expect(sql(run({ "main.sql": script }, "main.sql", { mode: "off" }))).toEqual([
      "SELECT 'off';",
      "SELECT 'after';",
    ]);
    expect(sql(run({ "main.sql": script }))).toEqual(["SELECT 'unset';", "SELECT 'after';"]);
  });

  it("ignores unsupported meta-commands in branches that do not run", () => {
    expect(sql(run({ "main.sql": "\\if false\n\\! rm -rf /\n\\endif\nSELECT 1;" }))).toEqual([
      "SELECT 1;",
    ]);
  });

  it("reports unbalanced and non-boolean conditions at their line", () => {
    expectError(() => run({ "main.sql": "SELECT 1;\n\\if true\n" }), "script_error", "main.sql", 2);
    expectError(() => run({ "main.sql": "\\endif" }), "script_error", "main.sql", 1);
    expectError(
      () => run({ "main.sql": "\\if 1\n\\else\n\\elif 1\n\\endif" }),
      "script_error",
      "main.sql",
      3,
    );
    expectError(() => run({ "main.sql": "\n\\if maybe\n\\endif" }), "script_error", "main.sql", 2);
  });

  it("does not let an included file close the includer's \\if", () => {
    expectError(
      () => run({ "main.sql": "\\if true\n\\i inc.sql\n\\endif", "inc.sql": "\\endif\n" }),
      "script_error",
      "inc.sql",
      1,
    );
  });
});

describe("includes", () => {
  it("resolves \\i against the project root and \\ir against the including file", () => {
    const units = run(
      {
        "main.sql": "SELECT 'main';\n\\i lib/a.sql\n\\ir lib/b.sql;\n",
        "lib/a.sql": "\\ir c.sql\nSELECT 'a';",
        "lib/b.sql": "SELECT 'b';",
        "lib/c.sql": "SELECT 'c';",
      },
      "main.sql",
    );
    expect(units.map((u) => (u.kind === "sql" ? `${u.file}:${u.line}` : u.kind))).toEqual([
      "main.sql:1",
      "lib/c.sql:1",
      "lib/a.sql:2",
      "lib/b.sql:1",
    ]);
  });

  it("reports a missing file, an escape from the tree and a cycle at the include line", () => {
    expectError(() => run({ "main.sql": "\n\\i nope.sql" }), "include_not_found", "main.sql", 2);
    expectError(
      () => run({ "main.sql": "\\ir ../../etc/passwd" }),
      "include_not_found",
      "main.sql",
      1,
    );
    const err = expectError(
      () =>
        run({
          "main.sql": "\\i a.sql",
          "a.sql": "SELECT 1;\n\\ir b.sql",
          "b.sql": "\n\n\\include a.sql",
        }),
      "include_cycle",
      "b.sql",
      3,
    );
    expect(err.message).toContain("main.sql -> a.sql -> b.sql -> a.sql");
  });

  it("allows the same file twice when it is not a cycle", () => {
    const files = { "main.sql": "\\i x.sql\n\\i ./x.sql", "x.sql": "SELECT 1;" };
    expect(sql(run(files))).toEqual(["SELECT 1;", "SELECT 1;"]);
  });
});

describe("other meta-commands", () => {
  it("turns \\echo, \\qecho, \\warn and \\c into units in order", () => {
    const units = run(
      {
        "main.sql": "\\echo hello :v 'a  b'\nCREATE DATABASE d;\n\\c d;\n\\qecho -n x\n\\connect\n",
      },
      "main.sql",
      { v: "1" },
    );
    expect(units).toMatchObject([
      { kind: "echo", command: "echo", text: "hello 1 a  b", line: 1 },
      { kind: "sql", text: "CREATE DATABASE d;" },
      { kind: "connect", database: "d", line: 3 },
      { kind: "echo", command: "qecho", text: "x" },
      { kind: "connect", database: undefined },
    ]);
  });

  it("reads \\c targets the way pg_dump writes them", () => {
    expect(connectTarget(["pagila"])).toBe("pagila");
    expect(connectTarget(['"My DB"'])).toBe("My DB");
    expect(connectTarget(["-reuse-previous=on", `"dbname='my-db'"`])).toBe("my-db");
    expect(connectTarget(["dbname='it\\'s'"])).toBe("it's");
    expect(connectTarget([])).toBeUndefined();
    expect(connectTarget(["-"])).toBeUndefined();
    expect(connectTarget(["db", "alice"])).toBeNull();
    expect(connectTarget(["dbname=x host=elsewhere"])).toBeNull();
    expect(connectTarget(["postgresql://h/db"])).toBeNull();
    const units = run({ "main.sql": `\\connect -reuse-previous=on "dbname='a b'"\n` });
    expect(units).toMatchObject([{ kind: "connect", database: "a b" }]);
  });

  it("honours \\restrict / \\unrestrict as pg_dump writes them", () => {
    const ok = "\\restrict abc\nSELECT 1;\n\\unrestrict abc\n\\echo done";
    expect(run({ "main.sql": ok })).toHaveLength(2);
    expectError(
      () => run({ "main.sql": "\\restrict abc\n\\echo hi" }),
      "script_error",
      "main.sql",
      2,
    );
    expectError(
      () => run({ "main.sql": "\\restrict abc\n\\unrestrict xyz" }),
      "script_error",
      "main.sql",
      2,
    );
  });

  it("stops at \\q", () => {
    expect(sql(run({ "main.sql": "SELECT 1;\n\\q\nSELECT 2;" }))).toEqual(["SELECT 1;"]);
  });

  it.each([
    ["\\! ls", "\\!"],
    ["\\copy t from 'x.csv'", "\\copy"],
    ["SELECT 1 \\gexec", "\\gexec"],
    ["\\gset", "\\gset"],
    ["\\o out.txt", "\\o"],
    ["\\c other user2", "\\c"],
    ["\\set x `date`", "backquoted"],
  ])("rejects %s at its file:line", (line, expected) => {
    const err = expectError(
      () => run({ "main.sql": `SELECT 1;\n\n${line}\n` }),
      "unsupported_command",
      "main.sql",
      3,
    );
    expect(err.message).toContain(expected);
  });

  it("reports a missing entry file", () => {
    expectError(() => run({}, "nope.sql"), "include_not_found", "nope.sql", 1);
  });
});
