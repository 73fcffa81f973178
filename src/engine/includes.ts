// `\i` / `\include` and `\ir` / `\include_relative`: which project file an include names, refused
// when it leaves the tree, is missing, closes a cycle or nests too deeply (psql has no depth
// limit; a runaway include chain here is a script error).

import type { ScriptErrorCode } from "./errors.ts";
import { resolveIncludePath } from "./paths.ts";

export const INCLUDE_META = new Set(["i", "include", "ir", "include_relative"]);

export interface IncludeSite {
  /** The including file (normalized) and the files that included it, outermost first. */
  path: string;
  stack: readonly string[];
  hasFile(path: string): boolean;
  maxDepth: number;
  fail(code: ScriptErrorCode, message: string): never;
}

/** The normalized project path of the file to walk next. */
export function includeTarget(name: string, target: string | undefined, at: IncludeSite): string {
  const { path, fail } = at;
  if (!target) return fail("script_error", `\\${name}: missing required argument`);
  const relative = name === "ir" || name === "include_relative";
  const resolved = resolveIncludePath(path, target, relative);
  if (resolved === undefined) {
    return fail("include_not_found", `\\${name} ${target}: outside the project tree`);
  }
  if (!at.hasFile(resolved)) {
    return fail("include_not_found", `\\${name} ${target}: file ${resolved} not found`);
  }
  const chain = [...at.stack, path];
  if (chain.includes(resolved)) {
    return fail("include_cycle", `include cycle: ${[...chain, resolved].join(" -> ")}`);
  }
  if (chain.length >= at.maxDepth) {
    return fail("script_error", `\\${name} ${target}: includes nested too deeply`);
  }
  return resolved;
}
