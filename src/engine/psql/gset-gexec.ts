// psql's `\gset [PREFIX]` (the one row's columns become variables; a NULL unsets its variable)
// and `\gexec` (every non-null value of the result, row by row, is run as a statement).
import type { SqlUnit } from "../units.ts";
import type { QueryResultSet } from "./exec-query.ts";

/** `\gset`: sets the variables, or gives psql's error text when the result is not one row. */
export function gset(
  vars: Map<string, string>,
  unit: SqlUnit,
  r: QueryResultSet,
): string | undefined {
  if (r.fields.length === 0) return undefined;
  if (r.rows.length !== 1) {
    return r.rows.length === 0
      ? "no rows returned for \\gset"
      : "more than one row returned for \\gset";
  }
  const prefix = unit.send?.args[0] ?? "";
  r.fields.forEach((f, i) => {
    const value = r.rows[0]![i];
    const name = prefix + f.name;
    if (value === null || value === undefined) vars.delete(name);
    else vars.set(name, value);
  });
  return undefined;
}

/** `\gexec`: runs each value as a statement at `unit`'s place until `stopped()`. */
export async function gexec(
  unit: SqlUnit,
  results: QueryResultSet[],
  run: (q: SqlUnit) => Promise<unknown>,
  stopped: () => boolean,
  echo: (text: string) => void,
): Promise<void> {
  for (const r of results) {
    for (const row of r.rows) {
      for (const v of row) {
        if (v === null) continue;
        const q: SqlUnit = {
          ...unit,
          text: v,
          segments: [{ text: v, file: unit.file, offset: 0, verbatim: false }],
          words: [],
        };
        delete q.send;
        delete q.copy;
        echo(v);
        await run(q);
        if (stopped()) return;
      }
    }
  }
}
