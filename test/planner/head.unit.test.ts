import { describe, expect, it } from "vitest";
import { planJob, validateTree } from "../../src/planner/index.ts";
import { expectPlannerError } from "./helpers.ts";

const tree = {
  "init/1.sql": "create table t();",
  "docs/readme.md": "# hi",
  "sql-runner.json": "{}",
};

describe("head and tree errors", () => {
  it("empty_tree for {} and for an empty Map", async () => {
    await expectPlannerError(() => validateTree({}), "empty_tree", "");
    await expectPlannerError(
      () => planJob({ tree: new Map(), headPath: "a.sql" }),
      "empty_tree",
      "",
    );
  });

  it("unknown_head when the head is not a file of the tree", async () => {
    await expectPlannerError(
      () => planJob({ tree, headPath: "init/2.sql" }),
      "unknown_head",
      "init/2.sql",
    );
  });

  it("unknown_head when the head names a folder", async () => {
    await expectPlannerError(() => planJob({ tree, headPath: "init" }), "unknown_head", "init");
  });

  it("unknown_head when head_path is not even a valid path", async () => {
    await expectPlannerError(
      () => planJob({ tree, headPath: "/init/1.sql" }),
      "unknown_head",
      "/init/1.sql",
    );
  });

  it("head_not_sql for a file that is not .sql, the manifest included", async () => {
    const error = await expectPlannerError(
      () => planJob({ tree, headPath: "docs/readme.md" }),
      "head_not_sql",
      "docs/readme.md",
    );
    expect(error.status).toBe(422);
    await expectPlannerError(
      () => planJob({ tree, headPath: "sql-runner.json" }),
      "head_not_sql",
      "sql-runner.json",
    );
  });

  it("head_not_sql for .SQL: the extension is case-sensitive", async () => {
    await expectPlannerError(
      () => planJob({ tree: { "init/A.SQL": "x" }, headPath: "init/A.SQL" }),
      "head_not_sql",
      "init/A.SQL",
    );
  });
});
