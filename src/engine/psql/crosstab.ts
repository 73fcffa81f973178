// psql's `\crosstabview [colV [colH [colD [sortcolH]]]]` (crosstabview.c): the query's result
// pivoted, the distinct values of colV down the side and of colH across the top, in order of
// first appearance (colH by sortcolH's integer ranks when given), each cell colD's value.
import type { PrintableResult } from "./print-table.ts";

/** psql's CROSSTABVIEW_MAX_COLUMNS. */
const MAX_COLUMNS = 1600;

interface Pivot {
  name: string | null;
  /** sortcolH's value in the row where the name first appeared. */
  sort: string | null;
  /** Position in the output: first appearance, or the rank sortcolH gives. */
  rank: number;
}

/** The pivoted result, or psql's error text (without the `\crosstabview: ` prefix). */
export function crosstab(
  r: PrintableResult,
  args: readonly string[],
  nullPrint: string,
): PrintableResult | string {
  const n = r.columns.length;
  if (n < 3) return "query must return at least three columns";
  const column = (i: number, fallback: number) =>
    args[i] === undefined ? fallback : indexOfColumn(args[i]!, r);
  const vField = column(0, 0);
  if (typeof vField === "string") return vField;
  const hField = column(1, 1);
  if (typeof hField === "string") return hField;
  if (hField === vField) return "vertical and horizontal headers must be different columns";
  let dField: number | string;
  if (args[2] === undefined) {
    if (n !== 3) return "data column must be specified when query returns more than three columns";
    dField = [0, 1, 2].find((i) => i !== vField && i !== hField)!;
  } else dField = indexOfColumn(args[2], r);
  if (typeof dField === "string") return dField;
  const sortField = column(3, -1);
  if (typeof sortField === "string") return sortField;

  const columns = new PivotSet();
  const rows = new PivotSet();
  for (const row of r.rows) {
    columns.merge(row[hField] ?? null, sortField >= 0 ? (row[sortField] ?? null) : null);
    if (columns.size > MAX_COLUMNS) return `maximum number of columns (${MAX_COLUMNS}) exceeded`;
    rows.merge(row[vField] ?? null, null);
  }
  if (sortField >= 0) rankSort(columns.sorted());

  const shown = (p: Pivot) => p.name ?? nullPrint;
  const header = [...columns.all()].sort((a, b) => a.rank - b.rank);
  const width = header.length + 1;
  const cells: (string | null | undefined)[][] = [];
  for (const p of rows.all()) {
    const line = new Array<string | null | undefined>(width);
    line[0] = shown(p);
    cells[p.rank] = line;
  }
  for (const row of r.rows) {
    const rp = rows.get(row[vField] ?? null)!;
    const cp = columns.get(row[hField] ?? null)!;
    const line = cells[rp.rank]!;
    if (line[1 + cp.rank] !== undefined) {
      const named = (p: Pivot) => p.name ?? (nullPrint || "(null)");
      return `query result contains multiple data values for row "${named(rp)}", column "${named(cp)}"`;
    }
    line[1 + cp.rank] = row[dField] ?? nullPrint;
  }
  const vColumn = r.columns[vField]!;
  const dType = r.columns[dField]!.typeOid;
  return {
    columns: [vColumn, ...header.map((p) => ({ name: shown(p), typeOid: dType }))],
    rows: cells.map((line) => Array.from(line, (c) => c ?? "")),
  };
}

/** Distinct values in order of first appearance, looked up by value. */
class PivotSet {
  private readonly byName = new Map<string | null, Pivot>();

  get size(): number {
    return this.byName.size;
  }

  merge(name: string | null, sort: string | null): void {
    if (!this.byName.has(name)) this.byName.set(name, { name, sort, rank: this.byName.size });
  }

  get(name: string | null): Pivot | undefined {
    return this.byName.get(name);
  }

  all(): IterableIterator<Pivot> {
    return this.byName.values();
  }

  /** By name as psql's AVL tree holds them: strcmp order (code points), NULL last. */
  sorted(): Pivot[] {
    return [...this.byName.values()].sort((a, b) => {
      if (b.name === null) return a.name === null ? 0 : -1;
      if (a.name === null) return 1;
      return compareCodePoints(a.name, b.name);
    });
  }
}

/**
 * psql's rankSort: a sort value matching /^-?\d+$/ is the column's rank (any other counts as 0);
 * ties keep the order of their names.
 */
function rankSort(columns: Pivot[]): void {
  const rankOf = (p: Pivot) =>
    p.sort !== null && /^-?\d*$/.test(p.sort) ? Number.parseInt(p.sort, 10) || 0 : 0;
  const ranked = columns.map((p, i) => ({ p, key: rankOf(p), i }));
  ranked.sort((a, b) => a.key - b.key || a.i - b.i);
  ranked.forEach((x, position) => {
    x.p.rank = position;
  });
}

/** A column by number (1-based, digits only) or by name, dequoted and downcased as psql does. */
function indexOfColumn(arg: string, r: PrintableResult): number | string {
  const n = r.columns.length;
  if (/^\d+$/.test(arg)) {
    const idx = Number.parseInt(arg, 10) - 1;
    if (idx < 0 || idx >= n) return `column number ${idx + 1} is out of range 1..${n}`;
    return idx;
  }
  const name = dequoteDowncase(arg);
  let found = -1;
  for (let i = 0; i < n; i++) {
    if (r.columns[i]!.name !== name) continue;
    if (found >= 0) return `ambiguous column name: "${name}"`;
    found = i;
  }
  return found < 0 ? `column name not found: "${name}"` : found;
}

/** psql's dequote_downcase_identifier: "..." kept (with "" as "), the rest ASCII-downcased. */
function dequoteDowncase(s: string): string {
  let out = "";
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '"') {
      if (quoted && s[i + 1] === '"') {
        out += '"';
        i++;
      } else quoted = !quoted;
    } else out += quoted ? c : c.replace(/[A-Z]/, (u) => u.toLowerCase());
  }
  return out;
}

function compareCodePoints(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}
