// Static list of the files a script includes (`\i`, `\include`, `\ir`, `\include_relative`), for the
// planner to fold included content into the tail hash. It looks at every include, also those in
// \if branches that may not run, so the hash never misses a file. Variables are not interpolated.
import { lex } from "./lexer.ts";
import { MetaArgError, parseMetaArgs, splitMeta } from "./meta-args.ts";
import { normalizePath, resolveIncludePath } from "./paths.ts";
import { LineIndex } from "./source-map.ts";

/** Structurally identical to the planner's IncludeRef. */
export interface IncludeRef {
  /** The path as written (quotes removed, trailing semicolons stripped). */
  target: string;
  /** `\ir` / `\include_relative`: resolved against the including file's folder. */
  relative: boolean;
  /** 1-based line of the meta-command. */
  line: number;
}

const NAMES: Readonly<Record<string, boolean>> = {
  i: false,
  include: false,
  ir: true,
  include_relative: true,
};

export function scanIncludes(content: string): IncludeRef[] {
  const refs: IncludeRef[] = [];
  let lines: LineIndex | undefined;
  for (const tok of lex(content)) {
    if (tok.kind !== "meta") continue;
    const { name, rest } = splitMeta(tok.text);
    const relative = NAMES[name];
    if (relative === undefined || !Object.hasOwn(NAMES, name)) continue;
    let target: string | undefined;
    try {
      target = parseMetaArgs(rest, () => undefined)[0]?.replace(/;+$/, "");
    } catch (e) {
      if (!(e instanceof MetaArgError)) throw e;
    }
    if (!target) continue;
    lines ??= new LineIndex(content);
    refs.push({ target, relative, line: lines.locate(tok.start).line });
  }
  return refs;
}

/**
 * The entry and every file of `files` it may include, directly or not (also through `\if`
 * branches that may not run), each once, as [path, text]. Missing targets are skipped: the
 * expander reports them where they are reached.
 */
export function* reachableFiles(
  files: ReadonlyMap<string, string>,
  entry: string,
): Generator<[path: string, text: string]> {
  const seen = new Set<string>();
  const queue = [normalizePath(entry) ?? entry];
  while (queue.length > 0) {
    const path = queue.shift()!;
    if (seen.has(path)) continue;
    seen.add(path);
    const text = files.get(path);
    if (text === undefined) continue;
    yield [path, text];
    // Every include is a meta-command, and every meta-command starts with a backslash.
    if (!text.includes("\\")) continue;
    for (const inc of scanIncludes(text)) {
      const target = resolveIncludePath(path, inc.target, inc.relative);
      if (target !== undefined) queue.push(target);
    }
  }
}
