// psql's table printer for a result set: aligned (borders 0-2, `+` on continued lines, numbers
// right-aligned), expanded (`-[ RECORD n ]`), unaligned and csv, with the footer `(N rows)`,
// tuples_only and the null string. Output is the exact text psql writes.
import type { PrintSettings } from "./print-settings.ts";

export interface PrintableResult {
  columns: { name: string; typeOid: number }[];
  rows: (string | null)[][];
}

/** psql right-aligns these types (column_type_alignment in print.c). */
const NUMERIC_OIDS = new Set([20, 21, 23, 700, 701, 1700, 26, 28, 5069, 29, 790]);

/** Screen columns of one line (East Asian wide characters take two, combining marks none). */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c === 0) continue;
    if ((c >= 0x300 && c <= 0x36f) || (c >= 0x200b && c <= 0x200f)) continue;
    if (
      (c >= 0x1100 && c <= 0x115f) ||
      (c >= 0x2e80 && c <= 0xa4cf && c !== 0x303f) ||
      (c >= 0xac00 && c <= 0xd7a3) ||
      (c >= 0xf900 && c <= 0xfaff) ||
      (c >= 0xfe30 && c <= 0xfe6f) ||
      (c >= 0xff00 && c <= 0xff60) ||
      (c >= 0xffe0 && c <= 0xffe6) ||
      (c >= 0x1f300 && c <= 0x1faff) ||
      (c >= 0x20000 && c <= 0x3fffd)
    ) {
      w += 2;
    } else w += 1;
  }
  return w;
}

/**
 * The printed lines of a value in the aligned formats, as psql's pg_wcsformat makes them: a tab
 * becomes spaces up to the next multiple of 8 columns of its line, `\r` prints as `\r`, any other
 * control character as `\xNN`.
 */
function lines(s: string): string[] {
  const out = s.split("\n");
  // biome-ignore lint/suspicious/noControlCharactersInRegex: psql rewrites exactly these
  if (!/[\x00-\x09\x0b-\x1f\x7f]/.test(s)) return out;
  return out.map((l) => {
    let r = "";
    let w = 0;
    for (const ch of l) {
      const c = ch.codePointAt(0)!;
      if (ch === "\t") {
        do {
          r += " ";
          w++;
        } while (w % 8 !== 0);
      } else if (ch === "\r") {
        r += "\\r";
        w += 2;
      } else if (c < 0x20 || c === 0x7f) {
        r += `\\x${c.toString(16).toUpperCase().padStart(2, "0")}`;
        w += 4;
      } else {
        r += ch;
        w += displayWidth(ch);
      }
    }
    return r;
  });
}

function footer(n: number): string {
  return n === 1 ? "(1 row)" : `(${n} rows)`;
}

/** The text psql prints for one result set with these settings. */
export function printResult(r: PrintableResult, p: PrintSettings): string {
  if (p.format === "csv") return printCsv(r, p);
  if (p.format === "unaligned") return printUnaligned(r, p);
  if (p.expanded === "on") return printExpanded(r, p);
  return printAligned(r, p);
}

function cellText(v: string | null, p: PrintSettings): string {
  return v === null ? p.null : v;
}

function printAligned(r: PrintableResult, p: PrintSettings): string {
  const b = p.border;
  const n = r.columns.length;
  if (n === 0) return printNoColumns(r, p);
  const right = r.columns.map((c) => NUMERIC_OIDS.has(c.typeOid));
  // The headers count even with tuples_only (psql's print_aligned_text measures them first), so
  // `\t` output keeps its columns' header widths: `psql -t -c 'select count(*) ...'` pads the count.
  const widths = r.columns.map((c) => Math.max(0, ...lines(c.name).map(displayWidth)));
  const cells = r.rows.map((row) => row.map((v) => lines(cellText(v, p))));
  for (const row of cells) {
    row.forEach((ls, j) => {
      for (const l of ls) widths[j] = Math.max(widths[j] ?? 0, displayWidth(l));
    });
  }
  let out = "";
  const rule = (): string => {
    if (b === 0) return `${widths.map((w) => "-".repeat(w)).join(" ")}\n`;
    const body = widths.map((w) => "-".repeat(w + 2)).join("+");
    return b === 2 ? `+${body}+\n` : `${body}\n`;
  };
  // One printed line of a row: `parts[j]` is the text of column j on this line (undefined: none),
  // `more[j]` says the cell continues on the next line.
  const line = (parts: (string | undefined)[], more: boolean[], header: boolean): string => {
    let s = b === 2 ? "| " : b === 1 ? " " : "";
    for (let j = 0; j < n; j++) {
      const text = parts[j] ?? "";
      const w = widths[j] ?? 0;
      const pad = Math.max(0, w - displayWidth(text));
      const last = j === n - 1;
      const marker = more[j] ? "+" : " ";
      if (parts[j] === undefined && last && b < 2 && !header) break;
      if (header) {
        const left = Math.floor(pad / 2);
        s += " ".repeat(left) + text + " ".repeat(pad - left);
      } else if (right[j]) s += " ".repeat(pad) + text;
      else s += text + (last && b < 2 && !more[j] ? "" : " ".repeat(pad));
      if (!last) s += b === 0 ? marker : `${marker}| `;
      else if (b === 2) s += `${marker}|`;
      else if (header || more[j]) s += marker;
    }
    return `${s}\n`;
  };
  if (p.title && !p.tuplesOnly) {
    const sum = widths.reduce((a, w) => a + w, 0);
    const total = b === 0 ? sum + n - 1 : sum + 3 * (n - 1) + (b === 2 ? 4 : 2);
    const tw = displayWidth(p.title);
    out += `${total >= tw ? " ".repeat(Math.floor((total - tw) / 2)) : ""}${p.title}\n`;
  }
  if (b === 2 && !p.tuplesOnly) out += rule();
  if (!p.tuplesOnly) {
    const names = r.columns.map((c) => lines(c.name));
    const height = Math.max(1, ...names.map((l) => l.length));
    for (let k = 0; k < height; k++) {
      out += line(
        names.map((l) => l[k]),
        names.map((l) => k < l.length - 1),
        true,
      );
    }
    out += rule();
  }
  for (const row of cells) {
    const height = Math.max(1, ...row.map((l) => l.length));
    for (let k = 0; k < height; k++) {
      out += line(
        row.map((l) => l[k]),
        row.map((l) => k < l.length - 1),
        false,
      );
    }
  }
  if (b === 2 && !p.tuplesOnly) out += rule();
  if (!p.tuplesOnly && p.footer) out += `${footer(r.rows.length)}\n`;
  return `${out}\n`;
}

/**
 * A result with no columns (`SELECT;`): psql's aligned printer draws no header line and no cells,
 * only the rule (`--` with border 1) and the footer.
 */
function printNoColumns(r: PrintableResult, p: PrintSettings): string {
  let out = p.title && !p.tuplesOnly ? `${p.title}\n` : "";
  const rule = p.border === 0 ? "\n" : p.border === 1 ? "--\n" : "+--+\n";
  if (!p.tuplesOnly) out += p.border === 2 ? rule + rule : rule;
  if (!p.tuplesOnly && p.footer) out += `${footer(r.rows.length)}\n`;
  return `${out}\n`;
}

function printExpanded(r: PrintableResult, p: PrintSettings): string {
  const b = p.border;
  if (r.rows.length === 0) {
    return p.tuplesOnly || !p.footer ? "" : `${footer(0)}\n\n`;
  }
  const hw = Math.max(0, ...r.columns.flatMap((c) => lines(c.name).map(displayWidth)));
  let dw = 0;
  for (const row of r.rows)
    for (const v of row) for (const l of lines(cellText(v, p))) dw = Math.max(dw, displayWidth(l));
  let out = p.title && !p.tuplesOnly ? `${p.title}\n` : "";
  r.rows.forEach((row, i) => {
    if (!p.tuplesOnly) out += recordLine(i + 1, hw, dw, b);
    else if (i > 0) out += "\n";
    row.forEach((v, j) => {
      const hl = lines(r.columns[j]!.name);
      const dl = lines(cellText(v, p));
      const height = Math.max(hl.length, dl.length);
      for (let k = 0; k < height; k++) {
        const h = hl[k] ?? "";
        const d = dl[k] ?? "";
        const moreH = k < hl.length - 1;
        const moreD = k < dl.length - 1;
        let s = b === 2 ? "| " : "";
        s += h + " ".repeat(hw - displayWidth(h));
        s += moreH ? "+" : " ";
        s += b === 0 ? "" : "| ";
        if (b === 2) s += `${d + " ".repeat(dw - displayWidth(d)) + (moreD ? "+" : " ")}|`;
        else s += d + (moreD ? `${" ".repeat(dw - displayWidth(d))}+` : "");
        out += `${s}\n`;
      }
    });
  });
  if (b === 2 && !p.tuplesOnly) out += recordLine(0, hw, dw, b);
  return `${out}\n`;
}

/** `-[ RECORD n ]----+----`, as print_aligned_vertical_line draws it. */
function recordLine(record: number, hw: number, dw: number, b: number): string {
  let s = b === 2 ? "+-" : b === 1 ? "-" : "";
  let reclen = 0;
  if (record) {
    const label = b === 0 ? `* Record ${record}` : `[ RECORD ${record} ]`;
    s += label;
    reclen = label.length;
  }
  if (b !== 2) reclen++;
  for (let i = reclen; i < hw; i++) s += b > 0 ? "-" : " ";
  reclen -= hw;
  if (b > 0) {
    if (reclen-- <= 0) s += "-";
    if (reclen-- <= 0) s += "+";
    if (reclen-- <= 0) s += "-";
  } else if (reclen-- <= 0) s += " ";
  if (reclen < 0) reclen = 0;
  for (let i = reclen; i < dw; i++) s += b > 0 ? "-" : " ";
  if (b === 2) s += "-+";
  return `${s}\n`;
}

function printUnaligned(r: PrintableResult, p: PrintSettings): string {
  const sep = p.fieldsep;
  let out = "";
  if (p.expanded === "on") {
    r.rows.forEach((row, i) => {
      if (i > 0) out += p.recordsep + p.recordsep;
      out += row.map((v, j) => `${r.columns[j]!.name}${sep}${cellText(v, p)}`).join(p.recordsep);
    });
    return r.rows.length > 0 ? `${out}\n` : "";
  }
  const recs: string[] = [];
  if (p.title && !p.tuplesOnly) recs.push(p.title);
  if (!p.tuplesOnly) recs.push(r.columns.map((c) => c.name).join(sep));
  for (const row of r.rows) recs.push(row.map((v) => cellText(v, p)).join(sep));
  if (!p.tuplesOnly && p.footer) recs.push(footer(r.rows.length));
  return recs.length > 0 ? `${recs.join(p.recordsep)}\n` : "";
}

function csvField(s: string, sep: string): string {
  if (s.includes(sep) || /["\r\n]/.test(s) || s === "\\.") return `"${s.replace(/"/g, '""')}"`;
  return s;
}

function printCsv(r: PrintableResult, p: PrintSettings): string {
  const sep = p.csvFieldsep;
  let out = "";
  if (p.expanded === "on") {
    for (const row of r.rows)
      row.forEach((v, j) => {
        out += `${csvField(r.columns[j]!.name, sep)}${sep}${v === null ? p.null : csvField(v, sep)}\n`;
      });
    return out;
  }
  if (!p.tuplesOnly) out += `${r.columns.map((c) => csvField(c.name, sep)).join(sep)}\n`;
  for (const row of r.rows)
    out += `${row.map((v) => (v === null ? p.null : csvField(v, sep))).join(sep)}\n`;
  return out;
}
