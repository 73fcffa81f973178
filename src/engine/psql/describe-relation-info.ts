// What psql's describeOneTableDetails first reads about a relation (its pg_class facts), the
// options of a `\d` run, and the Tablespace footer every relation kind shares.

import type { CatalogQuery } from "./catalog-query.ts";

export interface TableInfo {
  oid: string;
  schema: string;
  name: string;
  checks: number;
  relkind: string;
  hasindex: boolean;
  hasrules: boolean;
  hastriggers: boolean;
  rowsecurity: boolean;
  forcerowsecurity: boolean;
  ispartition: boolean;
  reloptions: string;
  tablespace: string;
  reloftype: string;
  relpersistence: string;
  relreplident: string;
  relam: string | null;
}

/** What psql's HIDE_TABLEAM / HIDE_TOAST_COMPRESSION say (both default off). */
export interface DescribeOptions {
  verbose: boolean;
  hideTableAm: boolean;
  hideCompression: boolean;
}

/** Reads the relation's facts; undefined when it is gone. */
export async function tableInfo(
  run: CatalogQuery,
  oid: string,
  schema: string,
  name: string,
  verbose: boolean,
): Promise<TableInfo | undefined> {
  const options = verbose
    ? "pg_catalog.array_to_string(c.reloptions || array(select 'toast.' || x from pg_catalog.unnest(tc.reloptions) x), ', ')\n"
    : "''";
  const [row] = await run(
    `SELECT c.relchecks, c.relkind, c.relhasindex, c.relhasrules, c.relhastriggers, c.relrowsecurity, c.relforcerowsecurity, false AS relhasoids, c.relispartition, ${options}, c.reltablespace, CASE WHEN c.reloftype = 0 THEN '' ELSE c.reloftype::pg_catalog.regtype::pg_catalog.text END, c.relpersistence, c.relreplident, am.amname\nFROM pg_catalog.pg_class c\n LEFT JOIN pg_catalog.pg_class tc ON (c.reltoastrelid = tc.oid)\nLEFT JOIN pg_catalog.pg_am am ON (c.relam = am.oid)\nWHERE c.oid = '${oid}';`,
  );
  if (!row) return undefined;
  const t = (i: number) => row[i] === "t";
  return {
    oid,
    schema,
    name,
    checks: Number(row[0] ?? 0),
    relkind: row[1] ?? "",
    hasindex: t(2),
    hasrules: t(3),
    hastriggers: t(4),
    rowsecurity: t(5),
    forcerowsecurity: t(6),
    ispartition: t(8),
    reloptions: row[9] ?? "",
    tablespace: row[10] ?? "0",
    reloftype: row[11] ?? "",
    relpersistence: row[12] ?? "p",
    relreplident: row[13] ?? "d",
    relam: row[14] ?? null,
  };
}

/** psql's add_tablespace_footer: a new line, or appended to the last footer (an index's line). */
export async function tablespaceFooter(
  run: CatalogQuery,
  out: string[],
  kind: string,
  tablespace: string,
  newline: boolean,
): Promise<void> {
  if (!"rmipIt".includes(kind) || tablespace === "0" || tablespace === "") return;
  const [row] = await run(
    `SELECT spcname FROM pg_catalog.pg_tablespace\nWHERE oid = '${tablespace}';`,
  );
  if (!row) return;
  if (newline) out.push(`Tablespace: "${row[0]}"`);
  else out[out.length - 1] += `, tablespace "${row[0]}"`;
}
