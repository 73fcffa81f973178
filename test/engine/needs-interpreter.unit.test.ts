import { describe, expect, it } from "vitest";
import { needsInterpreter } from "../../src/engine/psql/needs-interpreter.ts";

const needs = (files: Record<string, string>, entry = "a.sql") =>
  needsInterpreter(new Map(Object.entries(files)), entry);

describe("needsInterpreter", () => {
  it("batches plain SQL, casts, variables the script sets and includes of plain files", () => {
    expect(needs({ "a.sql": "select 1::int; select '\\\\gset';" })).toBe(false);
    expect(
      needs({
        "a.sql": "\\set x 1\nselect :x;\n\\if :x\nselect 2;\n\\endif\n\\i b.sql\n",
        "b.sql": "select 3;",
      }),
    ).toBe(false);
    expect(needs({ "a.sql": "select ':DBNAME', $$ \\gset $$; -- :ROW_COUNT \\gexec" })).toBe(false);
  });

  it("interprets a step with a \\g-family command, a \\d command or an automatic variable", () => {
    expect(needs({ "a.sql": "select 1 as x \\gset\n" })).toBe(true);
    expect(needs({ "a.sql": "select 'select 1' \\gexec\n" })).toBe(true);
    expect(needs({ "a.sql": "\\d t\n" })).toBe(true);
    expect(needs({ "a.sql": "alter database :DBNAME set x.y = 1;" })).toBe(true);
    expect(needs({ "a.sql": "\\echo :'SERVER_VERSION_NUM'\n" })).toBe(true);
  });

  it("interprets a step that names standard_conforming_strings (it changes how literals lex)", () => {
    expect(needs({ "a.sql": "SET standard_conforming_strings = off;\nselect 'a\\'b';" })).toBe(
      true,
    );
    expect(
      needs({
        "a.sql": "\\i b.sql\n",
        "b.sql": "select set_config('standard_conforming_strings', 'off', false);",
      }),
    ).toBe(true);
  });

  it("looks through includes, relative ones too, and in \\if branches that may not run", () => {
    const files = {
      "a.sql": "\\if false\n\\ir lib/b.sql\n\\endif\n",
      "lib/b.sql": "\\i lib/c.sql\n",
      "lib/c.sql": "select 1 \\gset\n",
    };
    expect(needs(files)).toBe(true);
    expect(needs({ "a.sql": "\\i a.sql\n" })).toBe(false);
  });
});
