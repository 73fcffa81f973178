// pg_regress's contract for heads: a head's psql text compared with the expected output file next to
// it (`test/x.sql` + `test/x.out`, or the pg_regress layout `sql/x.sql` + `expected/x.out`, with
// alternatives `expected/x_1.out`, ...). The verdict carries a unified diff against the expected file
// (the closest alternative when none matches), like pg_regress's regression.diffs.
import { createTwoFilesPatch } from "diff";

export interface TestVerdict {
  passed: boolean;
  /** The expected file that matched, or the one the diff is against. */
  expected_path: string;
  /** Unified diff expected -> actual; empty when passed. */
  diff: string;
  /** The diff was cut at DIFF_LIMITS.maxChars, or not computed (over maxEditLines). */
  diff_truncated?: true;
}

/**
 * A verdict's diff is bounded in time and size: Myers' diff costs (lines) x (edit length), so an
 * output that has nothing to do with its expected file (both up to 8 MiB) is not diffed past
 * 2,000 changed lines, and a diff longer than 256 Ki characters is cut at a line end.
 */
export const DIFF_LIMITS = { maxEditLines: 2000, maxChars: 256 * 1024 } as const;

/** The expected-output files for a head, best first; empty when the head has none. */
export function expectedPaths(head: string, has: (path: string) => boolean): string[] {
  const base = head.replace(/\.sql$/, "");
  const out: string[] = [];
  const sibling = `${base}.out`;
  if (has(sibling)) out.push(sibling);
  const m = /^(.*?)(?:^|\/)sql\/([^/]+)$/.exec(base);
  if (m) {
    const dir = m[1] ? `${m[1]}/expected` : "expected";
    const name = m[2]!;
    if (has(`${dir}/${name}.out`)) out.push(`${dir}/${name}.out`);
    for (let i = 1; i < 10; i++)
      if (has(`${dir}/${name}_${i}.out`)) out.push(`${dir}/${name}_${i}.out`);
  }
  return out;
}

export function verdict(
  actual: string,
  expected: { path: string; text: string }[],
): TestVerdict | undefined {
  if (expected.length === 0) return undefined;
  const hit = expected.find((e) => e.text === actual);
  if (hit) return { passed: true, expected_path: hit.path, diff: "" };
  let best = expected[0]!;
  let bestPatch: string | undefined;
  for (const e of expected) {
    const patch = createTwoFilesPatch(e.path, "results", e.text, actual, "", "", {
      context: 3,
      maxEditLength: DIFF_LIMITS.maxEditLines,
    });
    if (patch !== undefined && (bestPatch === undefined || patch.length < bestPatch.length)) {
      best = e;
      bestPatch = patch;
    }
  }
  if (bestPatch === undefined) {
    return { passed: false, expected_path: best.path, diff: "", diff_truncated: true };
  }
  if (bestPatch.length <= DIFF_LIMITS.maxChars) {
    return { passed: false, expected_path: best.path, diff: bestPatch };
  }
  const cut = bestPatch.lastIndexOf("\n", DIFF_LIMITS.maxChars - 1) + 1;
  return {
    passed: false,
    expected_path: best.path,
    diff: bestPatch.slice(0, cut),
    diff_truncated: true,
  };
}
