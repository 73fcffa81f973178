import { describe, expect, it } from "vitest";
import { copyPayload } from "../../src/engine/copy-inline-data.ts";
import { lex, lexTokens, type Token } from "../../src/engine/lexer.ts";

const kinds = (text: string) => lex(text).map((t) => [t.kind, t.text]);
const statements = (text: string) => lex(text).filter((t) => t.kind === "semicolon").length;

describe("lexer", () => {
  it("keeps ; inside dollar quotes with and without tags", () => {
    const text =
      "CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; SELECT $$x;$$; $body$ LANGUAGE sql;";
    const dollars = lex(text).filter((t) => t.kind === "dollar");
    expect(dollars.map((t) => t.text)).toEqual(["$body$ SELECT 1; SELECT $$x;$$; $body$"]);
    expect(statements(text)).toBe(1);
  });

  it("does not take $1 parameters or identifiers with $ for dollar quotes", () => {
    expect(kinds("SELECT $1, a$b$c;")).toEqual([
      ["word", "SELECT"],
      ["space", " "],
      ["other", "$1"],
      ["other", ","],
      ["space", " "],
      ["word", "a$b$c"],
      ["semicolon", ";"],
    ]);
  });

  it("nests block comments", () => {
    const text = "/* outer /* inner; */ still; */ SELECT 1;";
    expect(lex(text)[0]).toMatchObject({
      kind: "block_comment",
      text: "/* outer /* inner; */ still; */",
    });
    expect(statements(text)).toBe(1);
  });

  it("reads E'\\'' as one string and 'it''s' too", () => {
    expect(kinds("SELECT E'\\'', 'it''s';")).toEqual([
      ["word", "SELECT"],
      ["space", " "],
      ["string", "E'\\''"],
      ["other", ","],
      ["space", " "],
      ["string", "'it''s'"],
      ["semicolon", ";"],
    ]);
  });

  it("does not treat a backslash in a standard string as an escape", () => {
    expect(kinds("SELECT 'a\\'; SELECT 2;").filter(([k]) => k === "semicolon")).toHaveLength(2);
  });

  it("with standard_conforming_strings off reads backslashes in '...' as escapes", () => {
    const off = () => false;
    const strings = (text: string, std?: () => boolean) =>
      lex(text, std)
        .filter((t) => t.kind === "string")
        .map((t) => t.text);
    // strings.sql's literals: `\'` does not end the string while the setting is off.
    const text = "select 'a\\b\\'cd' as f2, 'ab\\\\\\'cd' as f5; select 2;";
    expect(strings(text, off)).toEqual(["'a\\b\\'cd'", "'ab\\\\\\'cd'"]);
    expect(lex(text, off).filter((t) => t.kind === "semicolon")).toHaveLength(2);
    // On (or not said), the same backslash is a plain character and the quote ends the literal.
    expect(strings("select 'abcd\\' as f4;", () => true)).toEqual(["'abcd\\'"]);
    expect(strings("select 'abcd\\' as f4;")).toEqual(["'abcd\\'"]);
    // B'', X'' and U&'' never escape (psqlscan.l's xb, xh, xus); N'' does.
    expect(strings("SELECT U&' \\' UESCAPE '!' AS \"tricky\";", off)).toEqual(["' \\'", "'!'"]);
    expect(strings("SELECT x'\\', b'\\';", off)).toEqual(["'\\'", "'\\'"]);
    expect(strings("SELECT n'\\'';", off)).toEqual(["'\\''"]);
  });

  it("leaves variables inside strings, identifiers, comments and dollar quotes alone", () => {
    const text = "SELECT ':x', \":y\", $$ :z $$ /* :w */ -- :v\n, :real;";
    const vars = lex(text).filter((t) => t.kind === "variable");
    expect(vars.map((t) => t.text)).toEqual([":real"]);
  });

  it("recognizes the four variable forms and not casts or assignments", () => {
    const toks = lex("SELECT :a, :'b', :\"c\", :{?d}, x::int, y := 1;").filter(
      (t) => t.kind === "variable",
    );
    expect(toks.map((t) => t.variable)).toEqual([
      { name: "a", form: "plain" },
      { name: "b", form: "literal" },
      { name: "c", form: "ident" },
      { name: "d", form: "defined" },
    ]);
  });

  it("reads COPY data containing ; and -- up to \\. as one token", () => {
    const text =
      "COPY t (a, b) FROM stdin;\n1\tx; DROP TABLE t; -- not a comment\n2\t/* nor this\n\\.\nSELECT 1;\n";
    const toks = lex(text);
    const data = toks.find((t) => t.kind === "copy_data")!;
    expect(data.text).toBe("1\tx; DROP TABLE t; -- not a comment\n2\t/* nor this\n\\.\n");
    expect(copyPayload(data)).toBe("1\tx; DROP TABLE t; -- not a comment\n2\t/* nor this\n");
    expect(toks.filter((t) => t.kind === "semicolon")).toHaveLength(2);
  });

  it("reads COPY data with CRLF line ends and a \\.\\r terminator", () => {
    const toks = lex("COPY t FROM stdin;\r\n1\r\n\\.\r\nSELECT 1;");
    const data = toks.find((t) => t.kind === "copy_data")!;
    expect(data.text).toBe("1\r\n\\.\r\n");
    expect(copyPayload(data)).toBe("1\r\n");
    expect(toks.filter((t) => t.kind === "semicolon")).toHaveLength(2);
  });

  it("ends COPY data at end of file without \\.", () => {
    const toks = lex("COPY t FROM STDIN;\n1\n2");
    expect(toks.at(-1)).toMatchObject({ kind: "copy_data", text: "1\n2" });
  });

  it("reads one data block per COPY FROM stdin of a \\; query, each after the one before", () => {
    const text =
      "SELECT 0\\; COPY a FROM stdin\\; COPY b FROM stdin\\; SELECT 1;\n1\n\\.\n2\n\\.\nSELECT 2;\n";
    const blocks = lex(text).filter((t) => t.kind === "copy_data");
    expect(blocks.map((t) => t.text)).toEqual(["1\n\\.\n", "2\n\\.\n"]);
    // The interpreter's gate: a block the server did not ask for ends the data; the rest is SQL.
    const firstOnly = new Set([text.indexOf("1\n")]);
    const gated = [...lexTokens(text, (start) => firstOnly.has(start))];
    expect(gated.filter((t) => t.kind === "copy_data").map((t) => t.text)).toEqual(["1\n\\.\n"]);
    expect(gated.some((t) => t.kind === "meta" && t.text === "\\.")).toBe(true);
  });

  it("does not see COPY TO STDOUT or COPY FROM a file as inline data", () => {
    expect(lex("COPY t TO stdout;\n1\n").some((t) => t.kind === "copy_data")).toBe(false);
    expect(lex("COPY t FROM '/x';\n1\n").some((t) => t.kind === "copy_data")).toBe(false);
  });

  it("handles a file without a final newline or ;", () => {
    const toks = lex("SELECT 1;\nSELECT 2");
    expect(toks.at(-1)).toMatchObject({ kind: "other", text: "2", end: 18 });
  });

  it("takes a backslash command to the end of its line", () => {
    expect(kinds("\\set x 'a b'\nSELECT 1;")).toEqual([
      ["meta", "\\set x 'a b'"],
      ["space", "\n"],
      ["word", "SELECT"],
      ["space", " "],
      ["other", "1"],
      ["semicolon", ";"],
    ]);
  });

  it("does not end a statement at ; inside parentheses (CREATE RULE ... (a; b))", () => {
    expect(
      statements("CREATE RULE r AS ON INSERT TO t DO ALSO (SELECT 1; SELECT 2); SELECT 3;"),
    ).toBe(2);
  });

  it("keeps BEGIN ATOMIC ... END bodies of SQL-standard functions together", () => {
    const text =
      "CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 2 END; END; SELECT 3;";
    expect(statements(text)).toBe(2);
    expect(statements("BEGIN; SELECT 1; END;")).toBe(3);
  });

  it("runs unterminated quotes and comments to end of input", () => {
    expect(lex("SELECT 'abc").at(-1)).toMatchObject({ kind: "string", text: "'abc" });
    expect(lex("SELECT $$abc").at(-1)).toMatchObject({ kind: "dollar", text: "$$abc" });
    expect(lex("/* /* */").at(-1)).toMatchObject({ kind: "block_comment", text: "/* /* */" });
  });

  it("gives offsets that index the input", () => {
    const text = "SELECT 'é😀', \"x\";\n-- c\n";
    for (const t of lex(text)) expect(text.slice(t.start, t.end)).toBe(t.text);
  });
});

// A tiny deterministic PRNG so the property test is reproducible.
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FRAGMENTS = [
  "SELECT",
  " ",
  "\n",
  ";",
  "'",
  "''",
  '"',
  "E'",
  "\\",
  "\\'",
  "$$",
  "$a$",
  "$",
  "$1",
  "/*",
  "*/",
  "--",
  "-",
  "/",
  ":",
  "::",
  ":x",
  ":'x'",
  ':"x"',
  ":{?x}",
  "(",
  ")",
  "COPY t FROM stdin;\n",
  "\\.\n",
  "\\i f.sql\n",
  "BEGIN",
  "END",
  "CREATE FUNCTION",
  "é",
  "😀",
  "\r\n",
  "x",
  "1",
  "e",
];

describe("lexer round trip", () => {
  it("puts the pieces back together into the input for random inputs", () => {
    const rand = mulberry32(20261126);
    for (let n = 0; n < 3000; n++) {
      const len = Math.floor(rand() * 40);
      let text = "";
      for (let i = 0; i < len; i++) text += FRAGMENTS[Math.floor(rand() * FRAGMENTS.length)];
      const toks: Token[] = lex(text);
      expect(toks.map((t) => t.text).join("")).toBe(text);
      let at = 0;
      for (const t of toks) {
        expect(t.start).toBe(at);
        expect(t.end).toBeGreaterThan(t.start);
        at = t.end;
      }
    }
  });
});
