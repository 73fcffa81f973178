// Project files as COPY input. A Worker has no file system and the server cannot see the project,
// so a COPY that names a file of the project tree reads it from the file map instead:
// `COPY t FROM '<PG_ABS_SRCDIR>/data/x.data'` (a server-side COPY, as pg_regress's scripts write it
// after `\getenv abs_srcdir PG_ABS_SRCDIR`) and `\copy t from 'data/x.data'` (psql's client-side
// COPY, relative to the project root, psql's working directory) both run as COPY ... FROM STDIN
// with the file's text as data. Any other path stays as written (the server reads it, or fails).
import { lex } from "./lexer.ts";
import { normalizePath } from "./paths.ts";

/** The fixed names `\getenv` sees besides the job's variables (documented in script-engine.md). */
export const SCRIPT_ENV_DEFAULTS: Readonly<Record<string, string>> = {
  PG_ABS_SRCDIR: "/project",
  PG_ABS_BUILDDIR: "/project",
  PG_LIBDIR: "/usr/lib/postgresql/lib",
  PG_DLSUFFIX: ".so",
};

function unquote(literal: string): string | undefined {
  if (literal.startsWith("'") && literal.endsWith("'") && literal.length >= 2) {
    return literal.slice(1, -1).replace(/''/g, "'");
  }
  return undefined;
}

export interface CopyFromFile {
  /** The statement with the file literal replaced by STDIN. */
  text: string;
  /** Normalized project path of the file. */
  path: string;
}

/**
 * For `COPY ... FROM '<srcdir>/path'`: the rewritten statement and the project path, if the
 * literal names a file under `srcdir` that the project holds.
 */
export function serverCopyFromProject(
  text: string,
  srcdir: string,
  has: (path: string) => boolean,
): CopyFromFile | undefined {
  if (!/^\s*copy\b/i.test(text)) return undefined;
  const toks = lex(text);
  let depth = 0;
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]!;
    if (t.kind === "other" && t.text === "(") depth++;
    else if (t.kind === "other" && t.text === ")") depth--;
    if (depth !== 0 || t.kind !== "word" || t.text.toLowerCase() !== "from") continue;
    let j = i + 1;
    while (toks[j] && (toks[j]!.kind === "space" || toks[j]!.kind === "block_comment")) j++;
    const lit = toks[j];
    if (lit?.kind !== "string") return undefined;
    const value = unquote(lit.text);
    const prefix = `${srcdir.replace(/\/+$/, "")}/`;
    if (value === undefined || !value.startsWith(prefix)) return undefined;
    const path = normalizePath(value.slice(prefix.length));
    if (path === undefined || !has(path)) return undefined;
    return { text: `${text.slice(0, lit.start)}STDIN${text.slice(lit.end)}`, path };
  }
  return undefined;
}

/** For the argument of `\copy ... from 'file'`: the project path, or undefined. */
/** The offset past a leading `( query )` of a `\copy` body (quotes and nesting kept), or 0. */
function queryEnd(body: string): number {
  let i = body.length - body.trimStart().length;
  if (body[i] !== "(") return 0;
  let depth = 0;
  let quote = "";
  for (; i < body.length; i++) {
    const c = body[i]!;
    if (quote) {
      if (c === quote) quote = "";
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "(") depth++;
    else if (c === ")" && --depth === 0) return i + 1;
  }
  return body.length;
}

export function clientCopyPath(
  body: string,
): { path: string; start: number; end: number } | undefined {
  // `\copy (query) to ...`: psql takes the parenthesized query whole; a FROM inside it names
  // no file.
  const skip = queryEnd(body);
  const re = /\bfrom\s+('(?:[^']|'')*'|[^\s'()]+)/gi;
  re.lastIndex = skip;
  const m = re.exec(body);
  if (!m) return undefined;
  const raw = m[1]!;
  const name = raw.startsWith("'") ? unquote(raw) : raw;
  if (name === undefined || /^(stdin|stdout|pstdin|pstdout)$/i.test(name)) return undefined;
  if (name.startsWith("/") || name.startsWith("|")) return undefined;
  const path = normalizePath(name);
  if (path === undefined) return undefined;
  const start = m.index + m[0].length - raw.length;
  return { path, start, end: start + raw.length };
}
