// psql's `\d NAME` and `\d+ NAME` (describeTableDetails): every relation the pattern matches, in
// schema, name order, each described as describeOneTableDetails prints it: sequences in
// describe-sequence.ts, every other kind (tables, partitioned tables, views, materialized views,
// indexes, composite types, foreign and TOAST tables) in describe-table.ts. Written after psql
// 18's describe.c.
import type { MetaUnit } from "../units.ts";
import { parseBool } from "../variables.ts";
import { catalogQuery } from "./catalog-query.ts";
import { tableInfo } from "./describe-relation-info.ts";
import { describeSequence } from "./describe-sequence.ts";
import { describeTable } from "./describe-table.ts";
import { patternClause } from "./name-pattern.ts";
import type { PsqlSession } from "./session.ts";

/** `\d[+] NAME`: describes every relation the pattern matches, in schema, name order. */
export async function describeObjects(
  s: PsqlSession,
  u: MetaUnit,
  pattern: string,
  verbose: boolean,
): Promise<void> {
  const run = catalogQuery(s);
  const flag = (name: string) => parseBool(s.vars.get(name) ?? "off") === true;
  const opts = {
    verbose,
    hideTableAm: flag("HIDE_TABLEAM"),
    hideCompression: flag("HIDE_TOAST_COMPRESSION"),
  };
  try {
    const found = await run(
      `SELECT c.oid::text, n.nspname, c.relname, c.relkind::text\nFROM pg_catalog.pg_class c\n     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace\nWHERE true\n${patternClause(pattern, "n.nspname", "c.relname", "pg_catalog.pg_table_is_visible(c.oid)")}ORDER BY 2, 3;`,
    );
    if (found.length === 0) {
      // psql -q prints nothing here, but the command failed (ON_ERROR_STOP stops at it).
      s.metaError(u, `Did not find any relation named "${pattern}".`, "script_error", true);
      return;
    }
    for (const [oid, schema, name, kind] of found) {
      if (kind === "S") {
        s.out.write(await describeSequence(run, oid!, schema!, name!, s.print));
        continue;
      }
      const info = await tableInfo(run, oid!, schema!, name!, verbose);
      // Dropped since the lookup: psql -q says nothing and goes on.
      if (!info) continue;
      s.out.write(await describeTable(run, info, opts, s.print));
    }
  } catch (e) {
    s.metaError(u, `\\d: ${(e as Error).message}`);
  }
}
