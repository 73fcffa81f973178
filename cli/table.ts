// psql's "aligned" format: centred headers, `-+-` rule, numbers right-aligned, text left-aligned
// (the last column unpadded), `+` marking a cell that continues on the next line, `(N rows)`.
// Commands that return no columns print their tag, as psql does (`INSERT 0 3`).
import type { ResultSet } from "./api-types.ts";

const NUMERIC_TYPES = new Set([
  "int2",
  "int4",
  "int8",
  "numeric",
  "float4",
  "float8",
  "oid",
  "money",
  "xid",
]);

export interface TableOptions {
  /** What NULL looks like (psql's `\pset null`; default empty, as psql). */
  nullText?: string;
}

function width(text: string): number {
  let n = 0;
  for (const _ of text) n += 1;
  return n;
}

function pad(text: string, to: number, right: boolean): string {
  const gap = " ".repeat(Math.max(0, to - width(text)));
  return right ? gap + text : text + gap;
}

function centre(text: string, to: number): string {
  const gap = Math.max(0, to - width(text));
  const left = Math.floor(gap / 2);
  return " ".repeat(left) + text + " ".repeat(gap - left);
}

/** One result set as psql prints it, ending with a blank line. */
export function formatResultSet(set: ResultSet, opts: TableOptions = {}): string {
  if (set.columns.length === 0) return `${set.tag}\n`;
  const nullText = opts.nullText ?? "";
  const right = set.columns.map((c) => NUMERIC_TYPES.has(c.type));
  const cells = set.rows.map((row) => set.columns.map((_, i) => (row[i] ?? nullText).split("\n")));
  const widths = set.columns.map((c, i) =>
    Math.max(width(c.name), ...cells.map((row) => Math.max(...(row[i] ?? [""]).map(width)))),
  );
  const last = set.columns.length - 1;
  const lines: string[] = [];
  lines.push(` ${set.columns.map((c, i) => centre(c.name, widths[i] ?? 0)).join(" | ")} `);
  lines.push(widths.map((w) => "-".repeat(w + 2)).join("+"));
  for (const row of cells) {
    const height = Math.max(...row.map((lines) => lines.length));
    for (let k = 0; k < height; k++) {
      let line = "";
      for (let i = 0; i <= last; i++) {
        const parts = row[i] ?? [""];
        const text = parts[k] ?? "";
        const more = k < parts.length - 1;
        const cell = pad(text, widths[i] ?? 0, right[i] === true);
        line += (i === 0 ? " " : "") + (i === last && !more && !right[i] ? text : cell);
        if (i < last) line += more ? "+| " : " | ";
        else if (more) line += "+";
      }
      lines.push(line);
    }
  }
  const n = set.row_count;
  lines.push(`(${n} ${n === 1 ? "row" : "rows"})`);
  if (set.truncated) lines.push(`(truncated: ${set.rows.length} of ${n} rows shown)`);
  return `${lines.join("\n")}\n\n`;
}
