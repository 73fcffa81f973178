// psql's `\d NAME` and `\d+ NAME` of one relation other than a sequence (describeOneTableDetails
// in psql 18's describe.c): the relation's facts, the titled column table (Column, Type and, by
// kind, Collation/Nullable/Default, Key?/Definition for indexes, FDW options, and with `+` Storage,
// Compression, Stats target, Description), then the footers (describe-table-footers.ts). The
// queries are psql's own for a server >= 12; psql prints a NULL as an empty cell here.
import type { CatalogQuery } from "./catalog-query.ts";
import type { DescribeOptions, TableInfo } from "./describe-relation-info.ts";
import { tableFooters } from "./describe-table-footers.ts";
import type { PrintSettings } from "./print-settings.ts";
import { printResult } from "./print-table.ts";

const TITLES: Record<string, [string, string?]> = {
  r: ["Table", "Unlogged table"],
  v: ["View"],
  m: ["Materialized view"],
  i: ["Index", "Unlogged index"],
  I: ["Partitioned index", "Unlogged partitioned index"],
  t: ["TOAST table"],
  c: ["Composite type"],
  f: ["Foreign table"],
  p: ["Partitioned table", "Unlogged partitioned table"],
};

/** The text psql prints for `\d[+] NAME` of the relation `info` describes. */
export async function describeTable(
  run: CatalogQuery,
  info: TableInfo,
  opts: DescribeOptions,
  print: PrintSettings,
): Promise<string> {
  const k = info.relkind;
  const details = "rvmfcp".includes(k);
  const index = k === "i" || k === "I";
  const cols: string[] = ["a.attname", "pg_catalog.format_type(a.atttypid, a.atttypmod)"];
  const headers = ["Column", "Type"];
  if (details) {
    cols.push(
      "(SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid, true)\n   FROM pg_catalog.pg_attrdef d\n   WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum AND a.atthasdef)",
      "a.attnotnull",
      "(SELECT c.collname FROM pg_catalog.pg_collation c, pg_catalog.pg_type t\n   WHERE c.oid = a.attcollation AND t.oid = a.atttypid AND a.attcollation <> t.typcollation) AS attcollation",
      "a.attidentity",
      "a.attgenerated",
    );
    headers.push("Collation", "Nullable", "Default");
  }
  if (index) {
    cols.push(
      `CASE WHEN a.attnum <= (SELECT i.indnkeyatts FROM pg_catalog.pg_index i WHERE i.indexrelid = '${info.oid}') THEN 'yes' ELSE 'no' END AS is_key`,
      "pg_catalog.pg_get_indexdef(a.attrelid, a.attnum, TRUE) AS indexdef",
    );
    headers.push("Key?", "Definition");
  }
  if (k === "f") {
    cols.push(
      "CASE WHEN attfdwoptions IS NULL THEN '' ELSE   '(' || pg_catalog.array_to_string(ARRAY(SELECT pg_catalog.quote_ident(option_name) || ' ' || pg_catalog.quote_literal(option_value)  FROM   pg_catalog.pg_options_to_table(attfdwoptions)), ', ') || ')' END AS attfdwoptions",
    );
    headers.push("FDW options");
  }
  // With `+`: the extra columns psql shows for this kind, in its order.
  const extra: ("storage" | "compression" | "stats" | "descr")[] = [];
  if (opts.verbose) {
    cols.push("a.attstorage");
    headers.push("Storage");
    extra.push("storage");
    if (!opts.hideCompression && "rpm".includes(k)) {
      cols.push("a.attcompression AS attcompression");
      headers.push("Compression");
      extra.push("compression");
    }
    if ("riImfp".includes(k)) {
      cols.push("CASE WHEN a.attstattarget=-1 THEN NULL ELSE a.attstattarget END AS attstattarget");
      headers.push("Stats target");
      extra.push("stats");
    }
    if ("rvmfcp".includes(k)) {
      cols.push("pg_catalog.col_description(a.attrelid, a.attnum)");
      headers.push("Description");
      extra.push("descr");
    }
  }
  const attrs = await run(
    `SELECT ${cols.join(",\n  ")}\nFROM pg_catalog.pg_attribute a\nWHERE a.attrelid = '${info.oid}' AND a.attnum > 0 AND NOT a.attisdropped\nORDER BY a.attnum;`,
  );
  const rows = attrs.map((r) => {
    const v = (i: number) => r[i] ?? "";
    const cells = [v(0), v(1)];
    let i = 2;
    if (details) {
      const [def, notnull, coll, identity, generated] = [v(2), v(3), v(4), v(5), v(6)];
      cells.push(coll, notnull === "t" ? "not null" : "", defaultText(def, identity, generated));
      i = 7;
    }
    if (index) {
      cells.push(v(i), v(i + 1));
      i += 2;
    }
    if (k === "f") cells.push(v(i++));
    for (const e of extra) {
      const x = v(i++);
      if (e === "storage") cells.push(STORAGE[x] ?? "???");
      else if (e === "compression")
        cells.push(x === "p" ? "pglz" : x === "l" ? "lz4" : x === "" ? "" : "???");
      else cells.push(x);
    }
    return cells;
  });
  const [word, unlogged] = TITLES[k] ?? [`?${k}?`];
  const title = `${info.relpersistence === "u" && unlogged ? unlogged : word} "${info.schema}.${info.name}"`;
  const table = printResult(
    { columns: headers.map((name) => ({ name, typeOid: 25 })), rows },
    { ...print, title, footer: false, expanded: "off" },
  );
  const footers = await tableFooters(run, info, opts);
  if (print.tuplesOnly || footers.length === 0) return table;
  return `${table.slice(0, -1)}${footers.join("\n")}\n\n`;
}

const STORAGE: Record<string, string> = {
  p: "plain",
  m: "main",
  x: "extended",
  e: "external",
};

function defaultText(def: string, identity: string, generated: string): string {
  if (identity === "a") return "generated always as identity";
  if (identity === "d") return "generated by default as identity";
  if (generated === "s") return `generated always as (${def}) stored`;
  if (generated === "v") return `generated always as (${def})`;
  return def;
}
