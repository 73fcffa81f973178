// A job's error the way compilers print one: `FILE:LINE:COL: ERROR: message`, the source line from
// the local project, and a caret under the column (tabs kept so the caret lines up), then psql's
// DETAIL / HINT / CONTEXT lines.
import type { JobError } from "./api-types.ts";

/** The caret line for a 1-based column (in code points) of `source`. */
export function caretLine(source: string, column: number): string {
  const before = [...source].slice(0, Math.max(0, column - 1));
  return `${before.map((ch) => (ch === "\t" ? "\t" : " ")).join("")}^`;
}

/** The server's message without the location prefixes the service puts in front of it. */
export function bareMessage(message: string): string {
  return message.replace(
    /^(?:(?:head|tail step) failed at [^:]+: )?(?:[^\s:]+:\d+(?::\d+)?: )?(?:ERROR:\s+)?/,
    "",
  );
}

export function formatJobError(error: JobError, files: ReadonlyMap<string, string>): string {
  const out: string[] = [];
  const where = error.file
    ? `${error.file}:${error.line ?? 1}${error.column !== undefined ? `:${error.column}` : ""}: `
    : "";
  const label =
    error.code === "canceled" || error.code === "timeout" ? error.code.toUpperCase() : "ERROR";
  out.push(`${where}${label}: ${bareMessage(error.message)}`);
  const text = error.file ? files.get(error.file) : undefined;
  if (text !== undefined && error.line !== undefined) {
    const source = text.split("\n")[error.line - 1];
    if (source !== undefined) {
      const gutter = String(error.line);
      out.push(` ${gutter} | ${source}`);
      if (error.column !== undefined)
        out.push(` ${" ".repeat(gutter.length)} | ${caretLine(source, error.column)}`);
    }
  }
  if (error.detail) out.push(`DETAIL: ${error.detail}`);
  if (error.hint) out.push(`HINT: ${error.hint}`);
  if (typeof error.where === "string" && error.where) out.push(`CONTEXT: ${error.where}`);
  const extra = [error.sqlstate ? `SQLSTATE ${error.sqlstate}` : "", `code ${error.code}`].filter(
    Boolean,
  );
  out.push(`(${extra.join(", ")})`);
  return `${out.join("\n")}\n`;
}
