import { describe, expect, it } from "vitest";
import {
  needsNormalization,
  normalizeContent,
  normalizeUtf8InPlace,
} from "../../src/planner/content.ts";
import { planJob } from "../../src/planner/index.ts";
import { expectPlannerError } from "./helpers.ts";

const head = "test/t.sql";
const plan = (step: string) =>
  planJob({ tree: { "init/1.sql": step, [head]: "select 1;" }, headPath: head });

describe("content normalization", () => {
  it("strips one leading BOM and turns CRLF and lone CR into LF, in what runs and what is hashed", async () => {
    const lf = await plan("create table t (a int);\nselect 1;\n");
    for (const variant of [
      "\uFEFFcreate table t (a int);\nselect 1;\n",
      "create table t (a int);\r\nselect 1;\r\n",
      "create table t (a int);\rselect 1;\r",
      "\uFEFFcreate table t (a int);\r\nselect 1;\r",
    ]) {
      const other = await plan(variant);
      expect(other.files.get("init/1.sql")).toBe("create table t (a int);\nselect 1;\n");
      expect(other.tailHash).toBe(lf.tailHash);
    }
  });

  it("keeps a second BOM and a BOM that is not at the start", async () => {
    const once = await plan("\uFEFF\uFEFFselect 1;");
    expect(once.files.get("init/1.sql")).toBe("\uFEFFselect 1;");
    const inner = await plan("select 1;\uFEFF");
    expect(inner.files.get("init/1.sql")).toBe("select 1;\uFEFF");
    expect(once.tailHash).not.toBe((await plan("select 1;")).tailHash);
  });

  it("normalizes the head too", async () => {
    const p = await planJob({ tree: { [head]: "\uFEFFselect 1;\r\n" }, headPath: head });
    expect(p.head.content).toBe("select 1;\n");
  });

  it("changes whitespace inside lines: still a different hash", async () => {
    expect((await plan("select 1;")).tailHash).not.toBe((await plan("select  1;")).tailHash);
  });

  it("rejects a NUL character, naming the file and line", async () => {
    const error = await expectPlannerError(
      () => plan("select 1;\r\nselect '\u0000';"),
      "invalid_content",
      "init/1.sql",
    );
    expect(error.details.line).toBe(2);
    expect(error.message).toContain("line 2");
  });

  it("rejects a lone surrogate (text that is not UTF-8)", async () => {
    await expectPlannerError(() => plan("select '\ud800';"), "invalid_content", "init/1.sql");
  });
});

describe("byte and string normalization agree", () => {
  const samples = [
    "",
    "\r",
    "\r\n",
    "\n\r",
    "\r\r\n\r",
    "\uFEFF",
    "\uFEFF\uFEFF\r\n",
    "a\uFEFFb",
    "select 'é';\r\nselect '日本';\rselect '🙂';\n",
    "\uFEFFx\r\n\r\ny\r",
    "no line end at all",
  ];
  for (const sample of samples) {
    it(`on ${JSON.stringify(sample)}`, () => {
      const bytes = new TextEncoder().encode(sample);
      const expected = normalizeContent("x.sql", sample);
      const viaBytes = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true }).decode(
        normalizeUtf8InPlace(bytes),
      );
      expect(viaBytes).toBe(expected);
      expect(needsNormalization(sample)).toBe(expected !== sample);
    });
  }
});
