// Expected-output verdicts for heads (pg_regress's contract), pure code in workerd.
import { describe, expect, it } from "vitest";
import { DIFF_LIMITS, expectedPaths, verdict } from "../../src/engine/psql/expected-output.ts";

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

  it("does not diff past maxEditLines changed lines, and cuts a long diff at a line end", () => {
    const lines = (n: number, tag: string) =>
      Array.from({ length: n }, (_, i) => `${tag} ${i}\n`).join("");
    // Every line differs: 2 x 1,500 edits is past 2,000.
    const far = verdict(lines(1500, "actual"), [{ path: "x.out", text: lines(1500, "expected") }])!;
    expect(far).toEqual({ passed: false, expected_path: "x.out", diff: "", diff_truncated: true });
    // Within the edit length but long: every 10th of 8,000 lines of 60 characters differs.
    const long = (tag: string) =>
      Array.from(
        { length: 8000 },
        (_, i) => `${i % 10 === 0 ? tag : "same"} ${"x".repeat(50)} ${i}\n`,
      ).join("");
    const cut = verdict(long("new"), [{ path: "y.out", text: long("old") }])!;
    expect(cut.diff_truncated).toBe(true);
    expect(cut.diff.length).toBeLessThanOrEqual(DIFF_LIMITS.maxChars);
    expect(cut.diff.length).toBeGreaterThan(DIFF_LIMITS.maxChars - 200);
    expect(cut.diff.endsWith("\n")).toBe(true);
    expect(cut.diff).toContain("--- y.out");
  });
});
