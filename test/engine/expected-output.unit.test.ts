// Expected-output verdicts for heads (pg_regress's contract), pure code in workerd.
import { describe, expect, it } from "vitest";
import { expectedPaths, verdict } from "../../src/engine/psql/expected-output.ts";

describe("expected output", () => {
  it("finds a sibling .out and pg_regress's expected/ layout with alternatives", () => {
    const files = new Set([
      "test/a.out",
      "sql/b.sql",
      "expected/b.out",
      "expected/b_1.out",
      "x/sql/c.sql",
      "x/expected/c.out",
    ]);
    const has = (p: string) => files.has(p);
    expect(expectedPaths("test/a.sql", has)).toEqual(["test/a.out"]);
    expect(expectedPaths("sql/b.sql", has)).toEqual(["expected/b.out", "expected/b_1.out"]);
    expect(expectedPaths("x/sql/c.sql", has)).toEqual(["x/expected/c.out"]);
    expect(expectedPaths("test/none.sql", has)).toEqual([]);
  });

  it("passes on an identical alternative and diffs against the closest one otherwise", () => {
    const exp = [
      { path: "expected/b.out", text: "a\nb\nc\n" },
      { path: "expected/b_1.out", text: "a\nB\nc\n" },
    ];
    expect(verdict("a\nB\nc\n", exp)).toEqual({
      passed: true,
      expected_path: "expected/b_1.out",
      diff: "",
    });
    const v = verdict("a\nb\nC\n", exp)!;
    expect(v.passed).toBe(false);
    expect(v.expected_path).toBe("expected/b.out");
    expect(v.diff).toContain("--- expected/b.out");
    expect(v.diff).toContain("-c\n+C\n");
    expect(verdict("x", [])).toBeUndefined();
  });
});
