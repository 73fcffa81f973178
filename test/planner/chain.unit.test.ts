import { describe, expect, it } from "vitest";
import { compareNatural, comparePaths, planJob } from "../../src/planner/index.ts";

const tailOf = async (tree: Record<string, string>, headPath: string) =>
  (await planJob({ tree, headPath })).tail.map((step) => step.path);

describe("natural order", () => {
  it("orders digit runs as numbers", () => {
    const names = ["10_y.sql", "2_x.sql", "1_a.sql", "002_b.sql", "100.sql", "9.sql"];
    expect(names.sort(compareNatural)).toEqual([
      "1_a.sql",
      "002_b.sql",
      "2_x.sql",
      "9.sql",
      "10_y.sql",
      "100.sql",
    ]);
  });

  it("is total: numerically equal names fall back to code-unit order", () => {
    expect(compareNatural("01.sql", "1.sql")).toBeLessThan(0);
    expect(compareNatural("1.sql", "01.sql")).toBeGreaterThan(0);
    expect(compareNatural("a.sql", "a.sql")).toBe(0);
  });

  it("compares by code unit, never by locale, and handles huge numbers", () => {
    expect(["b.sql", "B.sql", "a.sql"].sort(compareNatural)).toEqual(["B.sql", "a.sql", "b.sql"]);
    expect(compareNatural("x.sql", "x1.sql")).toBeLessThan(0);
    expect(
      compareNatural("99999999999999999999999.sql", "100000000000000000000000.sql"),
    ).toBeLessThan(0);
  });

  it("orders paths folder by folder", () => {
    const paths = ["s/10/a.sql", "s/9/z.sql", "s/b.sql", "s/a/1.sql", "s/2.sql"];
    expect(paths.sort(comparePaths)).toEqual([
      "s/2.sql",
      "s/9/z.sql",
      "s/10/a.sql",
      "s/a/1.sql",
      "s/b.sql",
    ]);
  });
});

describe("chain rules with the default stages", () => {
  const tree = {
    "seed/10_y.sql": "",
    "seed/2_x.sql": "",
    "init/1_schema.sql": "",
    "init/2_more/a.sql": "",
    "init/10_last.sql": "",
    "init/notes.txt": "",
    "test/t1.sql": "",
    "test/t2.sql": "",
    "bench/b1.sql": "",
    "lib/helpers.sql": "",
    "adhoc.sql": "",
    "README.md": "",
  };
  const ordinary = [
    "init/1_schema.sql",
    "init/2_more/a.sql",
    "init/10_last.sql",
    "seed/2_x.sql",
    "seed/10_y.sql",
  ];

  it("a head in init/ has the init steps before it as its tail", async () => {
    expect(await tailOf(tree, "init/1_schema.sql")).toEqual([]);
    expect(await tailOf(tree, "init/10_last.sql")).toEqual(ordinary.slice(0, 2));
  });

  it("a head in seed/ has all of init/ and the seed steps before it", async () => {
    expect(await tailOf(tree, "seed/10_y.sql")).toEqual(ordinary.slice(0, 4));
  });

  it("a head in test/ or bench/ has all of init/ and seed/, not its siblings", async () => {
    expect(await tailOf(tree, "test/t2.sql")).toEqual(ordinary);
    expect(await tailOf(tree, "test/t1.sql")).toEqual(ordinary);
    expect(await tailOf(tree, "bench/b1.sql")).toEqual(ordinary);
  });

  it("root-level and other-folder .sql files are not steps, but can be heads with the full tail", async () => {
    const plan = await planJob({ tree, headPath: "adhoc.sql" });
    expect(plan.head.stage).toBeNull();
    expect(plan.tail.map((s) => s.path)).toEqual(ordinary);
    expect(await tailOf(tree, "lib/helpers.sql")).toEqual(ordinary);
  });

  it("marks the last step of each stage and numbers steps from 1", async () => {
    const plan = await planJob({ tree, headPath: "test/t1.sql" });
    expect(plan.tail.map((s) => [s.index, s.stage, s.lastOfStage])).toEqual([
      [1, "init", false],
      [2, "init", false],
      [3, "init", true],
      [4, "seed", false],
      [5, "seed", true],
    ]);
    expect(plan.head.stage).toBe("test");
  });

  it("an empty tail has h0 as its tail hash", async () => {
    const plan = await planJob({ tree, headPath: "init/1_schema.sql" });
    expect(plan.tail).toEqual([]);
    expect(plan.tailHash).toBe(plan.h0);
  });
});

describe("chain rules with a manifest", () => {
  it("follows the declared stage order and isolated stages, nested folders allowed", async () => {
    const tree = {
      "sql-runner.json": JSON.stringify({
        stages: ["db/schema", "data"],
        isolated: ["checks"],
      }),
      "data/1.sql": "",
      "db/schema/2.sql": "",
      "db/schema/10.sql": "",
      "db/other/1.sql": "",
      "init/1.sql": "",
      "checks/a.sql": "",
      "test/t.sql": "",
    };
    const plan = await planJob({ tree, headPath: "checks/a.sql" });
    expect(plan.tail.map((s) => s.path)).toEqual([
      "db/schema/2.sql",
      "db/schema/10.sql",
      "data/1.sql",
    ]);
    expect(plan.config.stages).toEqual(["db/schema", "data"]);
    expect(plan.config.isolated).toEqual(["checks"]);
    // init/ and test/ are ordinary folders now: not steps, heads get the whole chain.
    expect(await tailOf(tree, "test/t.sql")).toEqual([
      "db/schema/2.sql",
      "db/schema/10.sql",
      "data/1.sql",
    ]);
    expect(await tailOf(tree, "data/1.sql")).toEqual(["db/schema/2.sql", "db/schema/10.sql"]);
  });
});
