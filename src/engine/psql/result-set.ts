// A head's result set (the JSON shape) built from one query result, and the error entries heads
// report in order with the result sets.
import { parseTag } from "../result-builder.ts";
import { BUILTIN_TYPE_NAMES } from "../type-names.ts";
import type { ResultSet } from "../types.ts";
import type { QueryResultSet } from "./exec-query.ts";
import type { PrintableResult } from "./print-table.ts";

export interface HeadResultSet extends ResultSet {
  column: number;
}

export function headResultSet(
  r: QueryResultSet,
  at: { file: string; line: number; column: number },
): HeadResultSet {
  const { command, count } = parseTag(r.tag);
  let columns = r.fields.map((f) => ({
    name: f.name,
    type: BUILTIN_TYPE_NAMES.get(f.dataTypeID) ?? `oid:${f.dataTypeID}`,
  }));
  let rows = r.rows;
  if (r.copyOut !== undefined) {
    // COPY ... TO STDOUT: a one-column result of its lines, as the batched engine reports it.
    columns = [{ name: "COPY", type: "text" }];
    rows = r.copyOut
      .split("\n")
      .slice(0, -1)
      .map((l) => [l]);
  }
  return {
    command,
    tag: r.tag,
    columns,
    rows,
    row_count: count ?? rows.length,
    truncated: r.truncated,
    file: at.file,
    line: at.line,
    column: at.column,
  };
}

/** The printer's view of a query result. */
export function printable(r: QueryResultSet): PrintableResult {
  return { columns: r.fields.map((f) => ({ name: f.name, typeOid: f.dataTypeID })), rows: r.rows };
}
