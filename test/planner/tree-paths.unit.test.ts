import { describe, expect, it } from "vitest";
import { planJob, validateTree } from "../../src/planner/index.ts";
import { expectPlannerError, treeFromJson } from "./helpers.ts";

const ok = "select 1;";

describe("path rules", () => {
  const bad: [string, string][] = [
    ["", "empty path"],
    ["/init/a.sql", "leading slash"],
    ["init//a.sql", "empty segment"],
    ["init/", "trailing slash"],
    ["./init/a.sql", "dot segment"],
    ["init/./a.sql", "inner dot segment"],
    ["init/../a.sql", "dot-dot segment"],
    ["..", "only dot-dot"],
    ["init\\a.sql", "backslash"],
    ["init/a\u0000.sql", "NUL"],
    ["init/a\n.sql", "newline"],
    ["init/a\t.sql", "tab"],
    ["init/a\u007f.sql", "DEL"],
    ["init/a\u0085.sql", "C1 control"],
    ["init/a\ud800.sql", "lone surrogate (not UTF-8)"],
  ];
  for (const [path, why] of bad) {
    it(`rejects ${why}: ${JSON.stringify(path)}`, async () => {
      const tree = { "init/ok.sql": ok, [path]: ok };
      const error = await expectPlannerError(() => validateTree(tree), "invalid_path", path);
      expect(error.status).toBe(422);
      await expectPlannerError(
        () => planJob({ tree, headPath: "init/ok.sql" }),
        "invalid_path",
        path,
      );
    });
  }

  it("normalizes paths to NFC: a decomposed head path finds the composed file", async () => {
    const composed = "seed/caf\u00e9.sql";
    const decomposed = "seed/cafe\u0301.sql";
    const plan = await planJob({ tree: { [decomposed]: ok }, headPath: composed });
    expect(plan.head.path).toBe(composed);
    expect([...plan.files.keys()]).toEqual([composed]);
  });

  it("rejects two paths equal after NFC normalization as a conflict", async () => {
    const tree = { "seed/caf\u00e9.sql": ok, "seed/cafe\u0301.sql": ok };
    // Paths are checked in code-unit order: the decomposed spelling comes first.
    const error = await expectPlannerError(
      () => validateTree(tree),
      "path_conflict",
      "seed/caf\u00e9.sql",
    );
    expect(error.message).toContain(JSON.stringify("seed/cafe\u0301.sql"));
  });

  it("rejects a path that is both a file and a folder", async () => {
    await expectPlannerError(
      () => validateTree({ "init/a": ok, "init/a/b.sql": ok }),
      "path_conflict",
      "init/a/b.sql",
    );
  });

  it("treats __proto__ as an ordinary file name, at the root and in a folder", async () => {
    const tree = treeFromJson('{"__proto__":"root","init/__proto__":"x","init/1.sql":"select 1;"}');
    expect(Object.keys(tree)).toContain("__proto__");
    const plan = await planJob({ tree, headPath: "init/1.sql" });
    expect(plan.files.get("__proto__")).toBe("root");
    expect(plan.files.get("init/__proto__")).toBe("x");
    expect(Object.getPrototypeOf(tree)).toBe(Object.prototype);
  });

  it("takes a Map as well as an object", async () => {
    const plan = await planJob({ tree: new Map([["init/1.sql", ok]]), headPath: "init/1.sql" });
    expect(plan.head.content).toBe(ok);
  });
});

describe("file entries", () => {
  it("accepts text, { content } and { etag }", () => {
    const etag = `sha256:${"a".repeat(64)}`;
    const { entries } = validateTree({
      "a.sql": "x",
      "b.sql": { content: "y" },
      "c.sql": { etag },
    });
    expect([...entries]).toEqual([
      ["a.sql", "x"],
      ["b.sql", "y"],
      ["c.sql", { etag }],
    ]);
  });

  const bad: [string, unknown][] = [
    ["a number", 42],
    ["null", null],
    ["an array", ["x"]],
    ["content that is not text", { content: 1 }],
    ["both content and etag", { content: "x", etag: `sha256:${"a".repeat(64)}` }],
    ["an unknown key", { text: "x" }],
    ["a malformed etag", { etag: "sha256:abc" }],
    ["an etag in upper case", { etag: `sha256:${"A".repeat(64)}` }],
    ["an etag of another algorithm", { etag: `md5:${"a".repeat(32)}` }],
  ];
  for (const [why, value] of bad) {
    it(`rejects ${why}`, async () => {
      const tree = { "init/1.sql": ok, "init/bad.sql": value } as never;
      await expectPlannerError(() => validateTree(tree), "invalid_file", "init/bad.sql");
    });
  }
});
