// Result sets as psql prints them ("aligned" format, border 1): the engine's own psql printer
// (src/engine/psql/print-table.ts, pure code) fed with the job view's columns. The view names
// types, the printer wants OIDs only to right-align numbers. Commands without columns print their
// tag as psql does (`INSERT 0 3`). A truncated set says how many rows it left out.
import { defaultPrintSettings } from "../src/engine/psql/print-settings.ts";
import { printResult } from "../src/engine/psql/print-table.ts";
import type { ResultSet } from "./api-types.ts";

/** pg_type OIDs of the types psql right-aligns, by the names the job view uses. */
const TYPE_OIDS: Record<string, number> = {
  int8: 20,
  int2: 21,
  int4: 23,
  oid: 26,
  xid: 28,
  float4: 700,
  float8: 701,
  money: 790,
  numeric: 1700,
};

export interface TableOptions {
  /** What NULL looks like (psql's `\pset null`; default empty, as psql). */
  nullText?: string;
}

export function formatResultSet(set: ResultSet, opts: TableOptions = {}): string {
  if (set.columns.length === 0) return `${set.tag}\n`;
  const settings = { ...defaultPrintSettings(), null: opts.nullText ?? "" };
  const columns = set.columns.map((c) => ({ name: c.name, typeOid: TYPE_OIDS[c.type] ?? 25 }));
  const text = printResult({ columns, rows: set.rows }, settings);
  if (!set.truncated) return text;
  return `${text.trimEnd()}\n(truncated: ${set.rows.length} of ${set.row_count} rows shown)\n\n`;
}
