// psql's `\copy` for what a Worker can reach: `\copy ... from stdin` (rows follow in the script, up
// to `\.`) and `\copy ... to stdout` run as the server-side COPY they stand for. psql takes the
// rest of the line as is (no variables). Files and psql's own stdin/stdout (`pstdin`, `pstdout`)
// are not reachable.
import type { SourceLocation } from "./errors.ts";
import { lex } from "./lexer.ts";
import type { SqlUnit } from "./units.ts";

/** The COPY statement a `\copy` line stands for, or an error message. */
export function copyMetaUnit(
  rest: string,
  file: string,
  offset: number,
  where: SourceLocation,
): SqlUnit | string {
  const body = rest.trim().replace(/;+$/, "");
  const fromStdin = /\bfrom\s+stdin\b/i.test(body);
  if (!fromStdin && !/\bto\s+stdout\b/i.test(body)) {
    return "\\copy: only FROM stdin with inline rows or TO stdout is supported (no local files)";
  }
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
  return unit;
}
