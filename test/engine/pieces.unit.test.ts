import { describe, expect, it } from "vitest";
import { parseMetaArgs, splitMeta } from "../../src/engine/meta-args.ts";
import { normalizePath, resolveIncludePath } from "../../src/engine/paths.ts";
import { parseTag, ResultBuilder } from "../../src/engine/result-builder.ts";
import { scanIncludes } from "../../src/engine/scan-includes.ts";
import { seedFromHash, sessionSetupSql } from "../../src/engine/session.ts";
import { parseBool, quoteIdent, quoteLiteral } from "../../src/engine/variables.ts";

describe("scanIncludes", () => {
  it("lists \\i, \\include, \\ir and \\include_relative with their lines, also in \\if branches", () => {
    const text = [
      "SELECT 1;",
      "\\i schema/a.sql",
      "\\if :x",
      "  \\ir 'b c.sql';",
      "\\endif",
      "SELECT '\\i not/this.sql';",
      "\\include d.sql",
      "\\include_relative ../e.sql",
      "COPY t FROM stdin;",
      "\\i not-an-include-in-copy-data",
      "\\.",
    ].join("\n");
    expect(scanIncludes(text)).toEqual([
      { target: "schema/a.sql", relative: false, line: 2 },
      { target: "b c.sql", relative: true, line: 4 },
      { target: "d.sql", relative: false, line: 7 },
      { target: "../e.sql", relative: true, line: 8 },
    ]);
  });

  it("ignores includes without a target", () => {
    expect(scanIncludes("\\i\n\\ir   \n")).toEqual([]);
  });
});

describe("paths", () => {
  it("normalizes and refuses to leave the project tree", () => {
    expect(normalizePath("./a/../b//c.sql")).toBe("b/c.sql");
    expect(normalizePath("../x.sql")).toBeUndefined();
    expect(resolveIncludePath("db/main.sql", "lib/x.sql", true)).toBe("db/lib/x.sql");
    expect(resolveIncludePath("db/main.sql", "lib/x.sql", false)).toBe("lib/x.sql");
    expect(resolveIncludePath("db/main.sql", "../top.sql", true)).toBe("top.sql");
    expect(resolveIncludePath("main.sql", "../up.sql", true)).toBeUndefined();
    expect(resolveIncludePath("db/main.sql", "/abs.sql", true)).toBe("abs.sql");
  });
});

describe("meta-command arguments", () => {
  const vars: Record<string, string> = { v: "val", q: "it's" };
  const args = (rest: string) => parseMetaArgs(rest, (n) => vars[n]);

  it("splits on whitespace, unquotes '...' with escapes, keeps \"...\" and interpolates", () => {
    expect(splitMeta("\\set x 1")).toEqual({ name: "set", rest: " x 1" });
    expect(args(` a 'b c' 'it''s' 'tab\\there' "Quoted Id" :v :'q' :"v" :nope :{?v}`)).toEqual([
      "a",
      "b c",
      "it's",
      "tab\there",
      '"Quoted Id"',
      "val",
      "'it''s'",
      '"val"',
      ":nope",
      "TRUE",
    ]);
  });

  it("refuses backquotes and the \\\\ separator", () => {
    expect(() => args("`date`")).toThrow(/backquoted/);
    expect(() => args("a \\\\ b")).toThrow(/separator/);
  });
});

describe("variables", () => {
  it("quotes like libpq", () => {
    expect(quoteLiteral("it's")).toBe("'it''s'");
    expect(quoteLiteral("a\\b")).toBe(" E'a\\\\b'");
    expect(quoteIdent('My"Tab')).toBe('"My""Tab"');
  });

  it("parses booleans as psql does", () => {
    for (const t of ["true", "TRUE", "t", "yes", "y", "on", "1"]) expect(parseBool(t)).toBe(true);
    for (const f of ["false", "f", "no", "n", "off", "of", "0"]) expect(parseBool(f)).toBe(false);
    for (const x of ["o", "", "2", "maybe"]) expect(parseBool(x)).toBeUndefined();
  });
});

describe("session setup", () => {
  it("derives a seed in [-1, 1] from a hash, deterministically", () => {
    expect(seedFromHash("00000000")).toBe(-1);
    expect(seedFromHash("ffffffffaaaa")).toBe(1);
    expect(seedFromHash("80000000")).toBeCloseTo(0, 6);
    expect(seedFromHash("5eed")).toBe(seedFromHash("5eed0000"));
  });

  it("sets every setting in one statement, quoting values", () => {
    expect(sessionSetupSql({ TimeZone: "UTC", search_path: "a's" }, 0.5)).toBe(
      "SELECT set_config(E'TimeZone', E'UTC', false), set_config(E'search_path', E'a''s', false), setseed(0.5), current_database()",
    );
    expect(() => sessionSetupSql({}, 2)).toThrow(RangeError);
  });

  it("sets lc_messages only when it differs (PostgreSQL 14 has no GRANT SET ON PARAMETER)", () => {
    expect(sessionSetupSql({ lc_messages: "C" }, 0)).toBe(
      "SELECT CASE WHEN current_setting(E'lc_messages') = E'C' THEN E'C' ELSE set_config(E'lc_messages', E'C', false) END, setseed(0), current_database()",
    );
  });
});

describe("results", () => {
  it("splits command tags", () => {
    expect(parseTag("INSERT 0 3")).toEqual({ command: "INSERT", count: 3 });
    expect(parseTag("SELECT 12")).toEqual({ command: "SELECT", count: 12 });
    expect(parseTag("CREATE TABLE")).toEqual({ command: "CREATE TABLE", count: undefined });
  });

  it("caps rows and bytes and flags truncation", () => {
    const b = new ResultBuilder(2, 1000);
    b.describe([{ name: "a", dataTypeID: 23 }]);
    for (const v of ["1", "2", "3"]) b.add([v]);
    expect(b.finish("SELECT 3", "m.sql", 1)).toMatchObject({
      columns: [{ name: "a", type: "int4" }],
      rows: [["1"], ["2"]],
      row_count: 3,
      truncated: true,
    });
    const c = new ResultBuilder(100, 5);
    c.describe([{ name: "s", dataTypeID: 25 }]);
    c.add(["ééé"]);
    expect(c.finish("SELECT 1", "m.sql", 1)).toMatchObject({ rows: [], truncated: true });
  });
});
