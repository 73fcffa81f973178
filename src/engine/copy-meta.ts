// psql's `\copy` for what a Worker can reach: `\copy ... from stdin` (rows follow in the script, up
// to `\.`) and `\copy ... to stdout` run as the server-side COPY they stand for. psql takes the
// rest of the line as is (no variables). Files and psql's own stdin/stdout (`pstdin`, `pstdout`)
// are not reachable.
import { clientCopyPath } from "./copy-file.ts";
import type { SourceLocation } from "./errors.ts";
import { lex } from "./lexer.ts";
import type { SqlUnit } from "./units.ts";

/** Whether `\copy <rest>` reads its rows from the script (up to `\.`). */
export function copyMetaReadsScript(rest: string): boolean {
  return /\bfrom\s+(stdin|pstdin)\b/i.test(rest);
}

/** The COPY statement a `\copy` line stands for, or an error message. */
export function copyMetaUnit(
  rest: string,
  file: string,
  offset: number,
  where: SourceLocation,
  readFile?: (path: string) => string | undefined,
): SqlUnit | string {
  let body = rest.trim().replace(/;+$/, "");
  const fromStdin = copyMetaReadsScript(body);
  const source = fromStdin ? undefined : clientCopyPath(body);
  const fileText = source && readFile ? readFile(source.path) : undefined;
  if (source && fileText === undefined && readFile) {
    return `\\copy: ${source.path}: not a file of the project`;
  }
  if (!fromStdin && fileText === undefined && !/\bto\s+(stdout|pstdout)\b/i.test(body)) {
    return "\\copy: only FROM stdin, FROM a project file or TO stdout is supported (no host files)";
  }
  if (source && fileText !== undefined) {
    body = `${body.slice(0, source.start)}STDIN${body.slice(source.end)}`;
  }
  body = body.replace(/\b(from\s+)pstdin\b/i, "$1STDIN").replace(/\b(to\s+)pstdout\b/i, "$1STDOUT");
  const text = `COPY ${body};`;
  const words: string[] = [];
  let depth = 0;
  for (const t of lex(text)) {
    if (t.kind === "other" && t.text === "(") depth++;
    else if (t.kind === "other" && t.text === ")") depth--;
    else if (t.kind === "word" && depth === 0) words.push(t.text.toLowerCase());
  }
  const unit: SqlUnit = {
    kind: "sql",
    text,
    segments: [{ text, file, offset, verbatim: false }],
    file: where.file,
    line: where.line,
    column: where.column,
    words,
  };
  if (fromStdin) unit.copy = { data: "", file, line: where.line + 1 };
  if (source && fileText !== undefined) unit.copy = { data: fileText, file: source.path, line: 1 };
  return unit;
}
