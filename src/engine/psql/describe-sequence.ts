// psql's `\d NAME` of a sequence, as describeOneTableDetails prints it (psql 18, server >= 10): the
// one-row table Type, Start, Minimum, Maximum, Increment, Cycles?, Cache from pg_sequence, titled
// `Sequence "schema.name"` (`Unlogged sequence` when unlogged), and the owner footer: "Owned by:"
// for an OWNED BY (deptype 'a'), "Sequence for identity column:" for an identity's ('i').
import { printResult } from "./print-table.ts";

type Row = (string | null)[];
type Query = (sql: string) => Promise<Row[]>;

/** What psql prints for the sequence `oid`; `title` is `Sequence "schema.name"`. */
export async function describeSequence(
  run: Query,
  oid: string,
  schema: string,
  name: string,
  print: Parameters<typeof printResult>[1],
): Promise<string> {
  const [persistence] = await run(
    `SELECT c.relpersistence::text FROM pg_catalog.pg_class c WHERE c.oid = '${oid}';`,
  );
  const rows = await run(
    `SELECT pg_catalog.format_type(seqtypid, NULL) AS "Type",\n       seqstart AS "Start",\n       seqmin AS "Minimum",\n       seqmax AS "Maximum",\n       seqincrement AS "Increment",\n       CASE WHEN seqcycle THEN 'yes' ELSE 'no' END AS "Cycles?",\n       seqcache AS "Cache"\nFROM pg_catalog.pg_sequence\nWHERE seqrelid = '${oid}';`,
  );
  const owner = await run(
    `SELECT pg_catalog.quote_ident(nspname) || '.' ||\n   pg_catalog.quote_ident(relname) || '.' ||\n   pg_catalog.quote_ident(attname),\n   d.deptype::text\nFROM pg_catalog.pg_class c\nINNER JOIN pg_catalog.pg_depend d ON c.oid=d.refobjid\nINNER JOIN pg_catalog.pg_namespace n ON n.oid=c.relnamespace\nINNER JOIN pg_catalog.pg_attribute a ON (\n a.attrelid=c.oid AND\n a.attnum=d.refobjsubid)\nWHERE d.classid='pg_catalog.pg_class'::pg_catalog.regclass\n AND d.refclassid='pg_catalog.pg_class'::pg_catalog.regclass\n AND d.objid='${oid}'\n AND d.deptype IN ('a', 'i')`,
  );
  const kind = persistence?.[0] === "u" ? "Unlogged sequence" : "Sequence";
  // Type and Cycles? are text (left-aligned), the numbers int8 (right-aligned), as psql gets them.
  const types = [25, 20, 20, 20, 20, 25, 20];
  const columns = ["Type", "Start", "Minimum", "Maximum", "Increment", "Cycles?", "Cache"].map(
    (n, i) => ({ name: n, typeOid: types[i]! }),
  );
  const table = printResult(
    { columns, rows },
    { ...print, title: `${kind} "${schema}.${name}"`, footer: false },
  );
  const [ownedBy, deptype] = owner[0] ?? [];
  if (print.tuplesOnly || !ownedBy) return table;
  const label = deptype === "i" ? "Sequence for identity column" : "Owned by";
  return `${table.slice(0, -1)}${label}: ${ownedBy}\n\n`;
}
