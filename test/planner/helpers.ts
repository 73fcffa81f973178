// Test helpers for the planner: a tiny include scanner (the real one lives in the script engine)
// and an assertion that a promise/function fails with a given PlannerError code.
import { expect } from "vitest";
import { type IncludeRef, PlannerError } from "../../src/planner/index.ts";

/** `\i x`, `\include x`, `\ir x`, `\include_relative x` at the start of a line. */
export function scanIncludes(content: string): IncludeRef[] {
  const refs: IncludeRef[] = [];
  for (const [i, line] of content.split("\n").entries()) {
    const match = /^\\(i|include|ir|include_relative) (\S+)/.exec(line);
    if (match) {
      refs.push({
        target: match[2]!,
        relative: match[1] === "ir" || match[1] === "include_relative",
        line: i + 1,
      });
    }
  }
  return refs;
}

/** The PlannerError thrown by `run`, after checking its code and that its message names `path`. */
export async function expectPlannerError(
  run: () => unknown,
  code: string,
  path: string,
): Promise<PlannerError> {
  let caught: unknown;
  try {
    await run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(PlannerError);
  const error = caught as PlannerError;
  expect(error.code).toBe(code);
  expect(error.path).toBe(path);
  if (path !== "") expect(error.message).toContain(JSON.stringify(path));
  return error;
}

/** A tree whose keys come from JSON, so `__proto__` can be an own key as it is over HTTP. */
export function treeFromJson(json: string): Record<string, string> {
  return JSON.parse(json) as Record<string, string>;
}
