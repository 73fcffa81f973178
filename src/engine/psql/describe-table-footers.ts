// The footers psql's describeOneTableDetails prints under a relation's column table, in its order:
// partition of / partition key, the index line of an index; for tables Indexes, Check
// constraints, Foreign-key constraints, Referenced by, Policies, Statistics objects, Rules,
// Publications, Not-null constraints (`+`); a view's definition (`+`) and rules; Triggers; then
// foreign server, Inherits, partitions or child tables, Typed table, Replica Identity,
// Tablespace, Access method (`+`) and Options (`+`). Queries written after psql 18 for a server
// >= 15.
import type { CatalogQuery } from "./catalog-query.ts";
import {
  type DescribeOptions,
  type TableInfo,
  tablespaceFooter,
} from "./describe-relation-info.ts";
import { tableConstraintFooters } from "./describe-table-constraints.ts";

export async function tableFooters(
  run: CatalogQuery,
  t: TableInfo,
  opts: DescribeOptions,
): Promise<string[]> {
  const out: string[] = [];
  const k = t.relkind;
  const oid = t.oid;
  const verbose = opts.verbose;
  if (t.ispartition) {
    const [row] = await run(
      `SELECT inhparent::pg_catalog.regclass,\n  pg_catalog.pg_get_expr(c.relpartbound, c.oid),\n  inhdetachpending${verbose ? ",\n  pg_catalog.pg_get_partition_constraintdef(c.oid)" : ""}\nFROM pg_catalog.pg_class c JOIN pg_catalog.pg_inherits i ON c.oid = inhrelid\nWHERE c.oid = '${oid}';`,
    );
    if (row) {
      out.push(`Partition of: ${row[0]} ${row[1] ?? ""}${row[2] === "t" ? " DETACH PENDING" : ""}`);
      if (verbose) {
        const def = row[3];
        out.push(def ? `Partition constraint: ${def}` : "No partition constraint");
      }
    }
  }
  if (k === "p") {
    const [row] = await run(`SELECT pg_catalog.pg_get_partkeydef('${oid}'::pg_catalog.oid);`);
    if (row) out.push(`Partition key: ${row[0] ?? ""}`);
  }
  if (k === "t") {
    const [row] = await run(
      `SELECT n.nspname, c.relname\nFROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace\nWHERE reltoastrelid = '${oid}';`,
    );
    if (row) out.push(`Owning table: "${row[0]}.${row[1]}"`);
  }
  if (k === "i" || k === "I") {
    const line = await indexLine(run, t);
    if (line === undefined) return out;
    out.push(line);
    if (k === "i") await tablespaceFooter(run, out, k, t.tablespace, true);
  } else if ("rmfpt".includes(k)) {
    out.push(...(await tableConstraintFooters(run, t, opts)));
  }
  if ((k === "v" || k === "m") && verbose) {
    const [row] = await run(`SELECT pg_catalog.pg_get_viewdef('${oid}'::pg_catalog.oid, true);`);
    if (row) {
      out.push("View definition:", row[0] ?? "");
      if (t.hasrules) {
        const rules = await run(
          `SELECT r.rulename, trim(trailing ';' from pg_catalog.pg_get_ruledef(r.oid, true))\nFROM pg_catalog.pg_rewrite r\nWHERE r.ev_class = '${oid}' AND r.rulename != '_RETURN' ORDER BY 1;`,
        );
        if (rules.length > 0) out.push("Rules:");
        for (const [, def] of rules) out.push(` ${(def ?? "").slice(12)}`);
      }
    }
  }
  if (t.hastriggers) out.push(...(await triggerFooters(run, oid)));
  if ("rmfpIt".includes(k)) await finishFooters(run, out, t, opts);
  if (verbose && t.reloptions !== "") out.push(`Options: ${t.reloptions}`);
  return out;
}

async function indexLine(run: CatalogQuery, t: TableInfo): Promise<string | undefined> {
  const cons = (col: string) =>
    `(NOT i.indimmediate) AND EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = i.indrelid AND conindid = i.indexrelid AND contype IN ('p','u','x') AND ${col}) AS ${col}`;
  const rows = await run(
    `SELECT i.indisunique, i.indisprimary, i.indisclustered, i.indisvalid,\n  ${cons("condeferrable")},\n  ${cons("condeferred")},\ni.indisreplident,\ni.indnullsnotdistinct,\n  a.amname, c2.relname, pg_catalog.pg_get_expr(i.indpred, i.indrelid, true)\nFROM pg_catalog.pg_index i, pg_catalog.pg_class c, pg_catalog.pg_class c2, pg_catalog.pg_am a\nWHERE i.indexrelid = c.oid AND c.oid = '${t.oid}' AND c.relam = a.oid\nAND i.indrelid = c2.oid;`,
  );
  if (rows.length !== 1) return undefined;
  const r = rows[0]!;
  const f = (i: number) => r[i] === "t";
  let s = "";
  if (f(1)) s = "primary key, ";
  else if (f(0)) s = `unique${f(7) ? " nulls not distinct" : ""}, `;
  s += `${r[8]}, for table "${t.schema}.${r[9]}"`;
  if (r[10]) s += `, predicate (${r[10]})`;
  if (f(2)) s += ", clustered";
  if (!f(3)) s += ", invalid";
  if (f(4)) s += ", deferrable";
  if (f(5)) s += ", initially deferred";
  if (f(6)) s += ", replica identity";
  return s;
}

const TRIGGER_HEADINGS = [
  "Triggers:",
  "Disabled user triggers:",
  "Disabled internal triggers:",
  "Triggers firing always:",
  "Triggers firing on replica only:",
];

async function triggerFooters(run: CatalogQuery, oid: string): Promise<string[]> {
  const rows = await run(
    `SELECT t.tgname, pg_catalog.pg_get_triggerdef(t.oid, true), t.tgenabled, t.tgisinternal,\n  CASE WHEN t.tgparentid != 0 THEN\n    (SELECT u.tgrelid::pg_catalog.regclass\n     FROM pg_catalog.pg_trigger AS u,\n          pg_catalog.pg_partition_ancestors(t.tgrelid) WITH ORDINALITY AS a(relid, depth)\n     WHERE u.tgname = t.tgname AND u.tgrelid = a.relid\n           AND u.tgparentid = 0\n     ORDER BY a.depth LIMIT 1)\n  END AS parent\nFROM pg_catalog.pg_trigger t\nWHERE t.tgrelid = '${oid}' AND (NOT t.tgisinternal OR (t.tgisinternal AND t.tgenabled = 'D'))\nORDER BY 1;`,
  );
  const out: string[] = [];
  const category = (enabled: string, internal: boolean): number =>
    enabled === "O" || enabled === "t"
      ? 0
      : enabled === "D" || enabled === "f"
        ? internal
          ? 2
          : 1
        : enabled === "A"
          ? 3
          : enabled === "R"
            ? 4
            : -1;
  for (let c = 0; c <= 4; c++) {
    let heading = false;
    for (const [, def, enabled, internal, parent] of rows) {
      if (category(enabled ?? "", internal === "t") !== c) continue;
      if (!heading) out.push(TRIGGER_HEADINGS[c]!);
      heading = true;
      const d = def ?? "";
      const at = d.indexOf(" TRIGGER ");
      out.push(`    ${at >= 0 ? d.slice(at + 9) : d}${parent ? `, ON TABLE ${parent}` : ""}`);
    }
  }
  return out;
}

async function finishFooters(
  run: CatalogQuery,
  out: string[],
  t: TableInfo,
  opts: DescribeOptions,
): Promise<void> {
  const k = t.relkind;
  const oid = t.oid;
  const partitioned = k === "p" || k === "I";
  if (k === "f") {
    const [row] = await run(
      `SELECT s.srvname,\n  pg_catalog.array_to_string(ARRAY(\n    SELECT pg_catalog.quote_ident(option_name) || ' ' || pg_catalog.quote_literal(option_value)\n    FROM pg_catalog.pg_options_to_table(ftoptions)),  ', ')\nFROM pg_catalog.pg_foreign_table f,\n     pg_catalog.pg_foreign_server s\nWHERE f.ftrelid = '${oid}' AND s.oid = f.ftserver;`,
    );
    if (!row) return;
    out.push(`Server: ${row[0]}`);
    if (row[1]) out.push(`FDW options: (${row[1]})`);
  }
  const parents = await run(
    `SELECT c.oid::pg_catalog.regclass\nFROM pg_catalog.pg_class c, pg_catalog.pg_inherits i\nWHERE c.oid = i.inhparent AND i.inhrelid = '${oid}'\n  AND c.relkind != 'p' AND c.relkind != 'I'\nORDER BY inhseqno;`,
  );
  parents.forEach(([name], i) => {
    const head = i === 0 ? "Inherits: " : `${" ".repeat(8)}  `;
    out.push(`${head}${name}${i < parents.length - 1 ? "," : ""}`);
  });
  const children = await run(
    `SELECT c.oid::pg_catalog.regclass, c.relkind, inhdetachpending, pg_catalog.pg_get_expr(c.relpartbound, c.oid)\nFROM pg_catalog.pg_class c, pg_catalog.pg_inherits i\nWHERE c.oid = i.inhrelid AND i.inhparent = '${oid}'\nORDER BY pg_catalog.pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT', c.oid::pg_catalog.regclass::pg_catalog.text;`,
  );
  if (partitioned && children.length === 0) out.push("Number of partitions: 0");
  else if (!opts.verbose) {
    if (children.length > 0) {
      const what = partitioned ? "partitions" : "child tables";
      out.push(`Number of ${what}: ${children.length} (Use \\d+ to list them.)`);
    }
  } else {
    const ct = partitioned ? "Partitions" : "Child tables";
    children.forEach(([name, kind, detach, bound], i) => {
      let line = i === 0 ? `${ct}: ${name}` : `${" ".repeat(ct.length)}  ${name}`;
      if (bound !== null && bound !== undefined) line += ` ${bound}`;
      if (kind === "p" || kind === "I") line += ", PARTITIONED";
      else if (kind === "f") line += ", FOREIGN";
      if (detach === "t") line += " (DETACH PENDING)";
      if (i < children.length - 1) line += ",";
      out.push(line);
    });
  }
  if (t.reloftype) out.push(`Typed table of type: ${t.reloftype}`);
  const ri = t.relreplident;
  if (
    opts.verbose &&
    (k === "r" || k === "m") &&
    ri !== "i" &&
    ((t.schema !== "pg_catalog" && ri !== "d") || (t.schema === "pg_catalog" && ri !== "n"))
  ) {
    out.push(`Replica Identity: ${ri === "f" ? "FULL" : ri === "d" ? "NOTHING" : "???"}`);
  }
  await tablespaceFooter(run, out, k, t.tablespace, true);
  if (opts.verbose && t.relam !== null && !opts.hideTableAm) out.push(`Access method: ${t.relam}`);
}
