import { describe, expect, it } from "vitest";
import { planJob } from "../../src/planner/index.ts";
import { expectPlannerError, scanIncludes } from "./helpers.ts";

const base = {
  "init/1.sql": "\\ir parts/a.sql\nselect 1;",
  "init/parts/a.sql": "\\i lib/common.sql\n\\ir ../parts/b.sql",
  "init/parts/b.sql": "select 'b';",
  "lib/common.sql": "select 'common';",
  "lib/unused.sql": "select 'unused';",
  "seed/1.sql": "select 2;",
  "test/t.sql": "\\include lib/common.sql\nselect 3;",
};
const stepsOf = (tree: Record<string, string>) => {
  const { "init/parts/a.sql": _a, "init/parts/b.sql": _b, ...rest } = tree;
  return rest;
};

describe("includes", () => {
  const plan = (tree: Record<string, string>, headPath = "test/t.sql") =>
    planJob({ tree, headPath, scanIncludes });

  it("follows \\i from the root and \\ir from the including folder, recursively, in run order", async () => {
    // Move the included parts out of the init stage so they are not steps themselves.
    const tree = {
      ...stepsOf(base),
      "init/1.sql": "\\ir ../parts/a.sql\nselect 1;",
      "parts/a.sql": "\\i lib/common.sql\n\\ir b.sql\n\\ir ./b.sql",
      "parts/b.sql": "select 'b';",
    };
    const p = await plan(tree);
    expect(p.tail.map((s) => [s.path, s.includes])).toEqual([
      ["init/1.sql", ["parts/a.sql", "lib/common.sql", "parts/b.sql"]],
      ["seed/1.sql", []],
    ]);
    expect(p.head.includes).toEqual(["lib/common.sql"]);
  });

  it("an included file's content is part of the step's digest and of every later hash", async () => {
    const before = await plan(base);
    const after = await plan({ ...base, "init/parts/b.sql": "select 'B';" });
    const index = before.tail.findIndex((s) => s.path === "init/1.sql");
    expect(after.tail[index]!.digest).not.toBe(before.tail[index]!.digest);
    expect(after.tailHash).not.toBe(before.tailHash);
    // A file nobody includes does not count.
    const unused = await plan({ ...base, "lib/unused.sql": "select 'changed';" });
    expect(unused.tailHash).toBe(before.tailHash);
  });

  it("the included file's path counts too", async () => {
    const a = await plan({
      ...stepsOf(base),
      "init/1.sql": "\\i lib/x.sql",
      "lib/x.sql": "select 1;",
    });
    const b = await plan({
      ...stepsOf(base),
      "init/1.sql": "\\i lib/y.sql",
      "lib/y.sql": "select 1;",
    });
    expect(a.tail[0]!.digest).not.toBe(b.tail[0]!.digest);
  });

  it("calls the scanner once per file that holds a backslash, and never for others", async () => {
    const scanned: string[] = [];
    const counting = (content: string) => {
      scanned.push(content);
      return scanIncludes(content);
    };
    await planJob({ tree: base, headPath: "test/t.sql", scanIncludes: counting });
    expect(scanned.sort()).toEqual(
      [base["init/1.sql"], base["init/parts/a.sql"], base["test/t.sql"]].sort(),
    );
  });

  it("without a scanner, includes are not followed", async () => {
    const p = await planJob({ tree: base, headPath: "test/t.sql" });
    expect(p.tail.every((s) => s.includes.length === 0)).toBe(true);
  });

  it("include_not_found names the including file and line", async () => {
    const error = await expectPlannerError(
      () => plan({ ...base, "seed/1.sql": "select 1;\n\\i lib/missing.sql" }),
      "include_not_found",
      "seed/1.sql",
    );
    expect(error.details.line).toBe(2);
    expect(error.message).toContain("line 2");
    expect(error.message).toContain("lib/missing.sql");
  });

  it("include_not_found for a target that climbs out of the project or is absolute", async () => {
    await expectPlannerError(
      () => plan({ ...base, "seed/1.sql": "\\ir ../../etc/passwd" }),
      "include_not_found",
      "seed/1.sql",
    );
    await expectPlannerError(
      () => plan({ ...base, "seed/1.sql": "\\i /etc/passwd" }),
      "include_not_found",
      "seed/1.sql",
    );
  });

  it("include_not_found in the head's includes too", async () => {
    await expectPlannerError(
      () => plan({ ...base, "test/t.sql": "\\ir nope.sql" }),
      "include_not_found",
      "test/t.sql",
    );
  });

  it("include_cycle names the file that closes the cycle and the cycle", async () => {
    const tree = {
      ...base,
      "lib/x.sql": "\\ir y.sql",
      "lib/y.sql": "select 1;\n\\i lib/x.sql",
      "seed/1.sql": "\\i lib/x.sql",
    };
    const error = await expectPlannerError(() => plan(tree), "include_cycle", "lib/y.sql");
    expect(error.details.line).toBe(2);
    expect(error.details.cycle).toEqual(["lib/x.sql", "lib/y.sql", "lib/x.sql"]);
    await expectPlannerError(
      () => plan({ ...base, "seed/1.sql": "\\ir 1.sql" }),
      "include_cycle",
      "seed/1.sql",
    );
  });

  it("a file included twice (diamond) is hashed once and is not a cycle", async () => {
    const tree = {
      ...stepsOf(base),
      "init/1.sql": "\\i lib/a.sql\n\\i lib/b.sql",
      "lib/a.sql": "\\ir c.sql",
      "lib/b.sql": "\\ir c.sql",
      "lib/c.sql": "select 1;",
    };
    const p = await plan(tree);
    expect(p.tail[0]!.includes).toEqual(["lib/a.sql", "lib/c.sql", "lib/b.sql"]);
  });
});
