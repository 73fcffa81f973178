// The footers psql's describeOneTableDetails prints for a table's own rules (tables, partitioned
// tables, materialized views, foreign and TOAST tables): Indexes, Check constraints, Foreign-key
// constraints, Referenced by, Policies, Statistics objects, Rules, Publications and, with `+`,
// Not-null constraints. Queries written after psql 18's for a server >= 15.
import type { CatalogQuery } from "./catalog-query.ts";
import {
  type DescribeOptions,
  type TableInfo,
  tablespaceFooter,
} from "./describe-relation-info.ts";

export async function tableConstraintFooters(
  run: CatalogQuery,
  t: TableInfo,
  opts: DescribeOptions,
): Promise<string[]> {
  const out: string[] = [];
  const oid = t.oid;
  if (t.hasindex) await indexFooters(run, out, oid);
  if (t.checks) {
    const rows = await run(
      `SELECT r.conname, pg_catalog.pg_get_constraintdef(r.oid, true)\nFROM pg_catalog.pg_constraint r\nWHERE r.conrelid = '${oid}' AND r.contype = 'c'\nORDER BY 1;`,
    );
    if (rows.length > 0) out.push("Check constraints:");
    for (const [name, def] of rows) out.push(`    "${name}" ${def}`);
  }
  if (t.hastriggers || t.relkind === "p") {
    // A partition lists its own constraints first, then those of its ancestors.
    const sql =
      t.ispartition || t.relkind === "p"
        ? `SELECT conrelid = '${oid}'::pg_catalog.regclass AS sametable,\n       conname,\n       pg_catalog.pg_get_constraintdef(oid, true) AS condef,\n       conrelid::pg_catalog.regclass AS ontable\n  FROM pg_catalog.pg_constraint,\n       pg_catalog.pg_partition_ancestors('${oid}')\n WHERE conrelid = relid AND contype = 'f' AND conparentid = 0\nORDER BY sametable DESC, conname;`
        : `SELECT true as sametable, conname,\n  pg_catalog.pg_get_constraintdef(r.oid, true) as condef,\n  conrelid::pg_catalog.regclass AS ontable\nFROM pg_catalog.pg_constraint r\nWHERE r.conrelid = '${oid}' AND r.contype = 'f'\n     AND conparentid = 0\nORDER BY conname`;
    const fks = await run(sql);
    if (fks.length > 0) out.push("Foreign-key constraints:");
    for (const [same, name, def, table] of fks) {
      out.push(
        same === "f" ? `    TABLE "${table}" CONSTRAINT "${name}" ${def}` : `    "${name}" ${def}`,
      );
    }
    const refs = await run(
      `SELECT conname, conrelid::pg_catalog.regclass AS ontable,\n       pg_catalog.pg_get_constraintdef(oid, true) AS condef\n  FROM pg_catalog.pg_constraint c\n WHERE confrelid IN (SELECT pg_catalog.pg_partition_ancestors('${oid}')\n                     UNION ALL VALUES ('${oid}'::pg_catalog.regclass))\n       AND contype = 'f' AND conparentid = 0\nORDER BY conname;`,
    );
    if (refs.length > 0) out.push("Referenced by:");
    for (const [name, table, def] of refs)
      out.push(`    TABLE "${table}" CONSTRAINT "${name}" ${def}`);
  }
  await policyFooters(run, out, t);
  await statisticsFooters(run, out, oid);
  if (t.hasrules && t.relkind !== "m") await ruleFooters(run, out, oid);
  const pubs = await run(
    `SELECT pubname\n     , NULL\n     , NULL\nFROM pg_catalog.pg_publication p\n     JOIN pg_catalog.pg_publication_namespace pn ON p.oid = pn.pnpubid\n     JOIN pg_catalog.pg_class pc ON pc.relnamespace = pn.pnnspid\nWHERE pc.oid ='${oid}' and pg_catalog.pg_relation_is_publishable('${oid}')\nUNION\nSELECT pubname\n     , pg_get_expr(pr.prqual, c.oid)\n     , (CASE WHEN pr.prattrs IS NOT NULL THEN\n         (SELECT string_agg(attname, ', ')\n           FROM pg_catalog.generate_series(0, pg_catalog.array_upper(pr.prattrs::pg_catalog.int2[], 1)) s,\n                pg_catalog.pg_attribute\n          WHERE attrelid = pr.prrelid AND attnum = prattrs[s])\n        ELSE NULL END) FROM pg_catalog.pg_publication p\n     JOIN pg_catalog.pg_publication_rel pr ON p.oid = pr.prpubid\n     JOIN pg_catalog.pg_class c ON c.oid = pr.prrelid\nWHERE pr.prrelid = '${oid}'\nUNION\nSELECT pubname\n     , NULL\n     , NULL\nFROM pg_catalog.pg_publication p\nWHERE p.puballtables AND pg_catalog.pg_relation_is_publishable('${oid}')\nORDER BY 1;`,
  );
  if (pubs.length > 0) out.push("Publications:");
  for (const [name, filter, columns] of pubs) {
    out.push(
      `    "${name}"${columns !== null ? ` (${columns})` : ""}${filter !== null ? ` WHERE ${filter}` : ""}`,
    );
  }
  if (opts.verbose) {
    const nn = await run(
      `SELECT c.conname, a.attname, c.connoinherit,\n  c.conislocal, c.coninhcount <> 0\nFROM pg_catalog.pg_constraint c JOIN\n  pg_catalog.pg_attribute a ON\n    (a.attrelid = c.conrelid AND a.attnum = c.conkey[1])\nWHERE c.contype = 'n' AND\n  c.conrelid = '${oid}'::pg_catalog.regclass\nORDER BY a.attnum`,
    );
    if (nn.length > 0) out.push("Not-null constraints:");
    for (const [name, col, noinherit, local, inherited] of nn) {
      const tail =
        noinherit === "t"
          ? " NO INHERIT"
          : local === "t" && inherited === "t"
            ? " (local, inherited)"
            : inherited === "t"
              ? " (inherited)"
              : "";
      out.push(`    "${name}" NOT NULL "${col}"${tail}`);
    }
  }
  return out;
}

async function indexFooters(run: CatalogQuery, out: string[], oid: string): Promise<void> {
  const rows = await run(
    `SELECT c2.relname, i.indisprimary, i.indisunique, i.indisclustered, i.indisvalid, pg_catalog.pg_get_indexdef(i.indexrelid, 0, true),\n  pg_catalog.pg_get_constraintdef(con.oid, true), contype, condeferrable, condeferred, i.indisreplident, c2.reltablespace, con.conperiod\nFROM pg_catalog.pg_class c, pg_catalog.pg_class c2, pg_catalog.pg_index i\n  LEFT JOIN pg_catalog.pg_constraint con ON (conrelid = i.indrelid AND conindid = i.indexrelid AND contype IN ('p','u','x'))\nWHERE c.oid = '${oid}' AND c.oid = i.indrelid AND i.indexrelid = c2.oid\nORDER BY i.indisprimary DESC, c2.relname;`,
  );
  if (rows.length > 0) out.push("Indexes:");
  for (const r of rows) {
    const f = (i: number) => r[i] === "t";
    let line = `    "${r[0]}"`;
    // An exclusion constraint, or a PK/UNIQUE WITHOUT OVERLAPS: its constraint definition.
    if (r[7] === "x" || f(12)) line += ` ${r[6]}`;
    else {
      if (f(1)) line += " PRIMARY KEY,";
      else if (f(2)) line += r[7] === "u" ? " UNIQUE CONSTRAINT," : " UNIQUE,";
      const def = r[5] ?? "";
      const at = def.indexOf(" USING ");
      line += ` ${at >= 0 ? def.slice(at + 7) : def}`;
      if (f(8)) line += " DEFERRABLE";
      if (f(9)) line += " INITIALLY DEFERRED";
    }
    if (f(3)) line += " CLUSTER";
    if (!f(4)) line += " INVALID";
    if (f(10)) line += " REPLICA IDENTITY";
    out.push(line);
    await tablespaceFooter(run, out, "i", r[11] ?? "0", false);
  }
}

async function policyFooters(run: CatalogQuery, out: string[], t: TableInfo): Promise<void> {
  const rows = await run(
    `SELECT pol.polname, pol.polpermissive,\n  CASE WHEN pol.polroles = '{0}' THEN NULL ELSE pg_catalog.array_to_string(array(select rolname from pg_catalog.pg_roles where oid = any (pol.polroles) order by 1),',') END,\n  pg_catalog.pg_get_expr(pol.polqual, pol.polrelid),\n  pg_catalog.pg_get_expr(pol.polwithcheck, pol.polrelid),\n  CASE pol.polcmd\n    WHEN 'r' THEN 'SELECT'\n    WHEN 'a' THEN 'INSERT'\n    WHEN 'w' THEN 'UPDATE'\n    WHEN 'd' THEN 'DELETE'\n    END AS cmd\nFROM pg_catalog.pg_policy pol\nWHERE pol.polrelid = '${t.oid}' ORDER BY 1;`,
  );
  const n = rows.length;
  const rls = t.rowsecurity;
  const forced = t.forcerowsecurity;
  if (rls && !forced && n > 0) out.push("Policies:");
  if (rls && forced && n > 0) out.push("Policies (forced row security enabled):");
  if (rls && !forced && n === 0) out.push("Policies (row security enabled): (none)");
  if (rls && forced && n === 0) out.push("Policies (forced row security enabled): (none)");
  if (!rls && n > 0) out.push("Policies (row security disabled):");
  for (const [name, permissive, roles, qual, check, cmd] of rows) {
    let s = `    POLICY "${name}"`;
    if (permissive === "f") s += " AS RESTRICTIVE";
    if (cmd !== null) s += ` FOR ${cmd}`;
    if (roles !== null) s += `\n      TO ${roles}`;
    if (qual !== null) s += `\n      USING (${qual})`;
    if (check !== null) s += `\n      WITH CHECK (${check})`;
    out.push(s);
  }
}

async function statisticsFooters(run: CatalogQuery, out: string[], oid: string): Promise<void> {
  const rows = await run(
    `SELECT oid, stxrelid::pg_catalog.regclass, stxnamespace::pg_catalog.regnamespace::pg_catalog.text AS nsp, stxname,\npg_catalog.pg_get_statisticsobjdef_columns(oid) AS columns,\n  'd' = any(stxkind) AS ndist_enabled,\n  'f' = any(stxkind) AS deps_enabled,\n  'm' = any(stxkind) AS mcv_enabled,\nstxstattarget\nFROM pg_catalog.pg_statistic_ext\nWHERE stxrelid = '${oid}'\nORDER BY nsp, stxname;`,
  );
  if (rows.length > 0) out.push("Statistics objects:");
  for (const r of rows) {
    const kinds = [
      [r[5], "ndistinct"],
      [r[6], "dependencies"],
      [r[7], "mcv"],
    ]
      .filter(([on]) => on === "t")
      .map(([, k]) => k);
    let s = `    "${r[2]}.${r[3]}"`;
    // No kinds (one expression) or all of them (CREATE STATISTICS's default): none printed.
    if (kinds.length > 0 && kinds.length < 3) s += ` (${kinds.join(", ")})`;
    s += ` ON ${r[4]} FROM ${r[1]}`;
    if (r[8] !== null && r[8] !== "-1") s += `; STATISTICS ${r[8]}`;
    out.push(s);
  }
}

const RULE_HEADINGS: [string, string][] = [
  ["O", "Rules:"],
  ["D", "Disabled rules:"],
  ["A", "Rules firing always:"],
  ["R", "Rules firing on replica only:"],
];

async function ruleFooters(run: CatalogQuery, out: string[], oid: string): Promise<void> {
  const rows = await run(
    `SELECT r.rulename, trim(trailing ';' from pg_catalog.pg_get_ruledef(r.oid, true)), ev_enabled\nFROM pg_catalog.pg_rewrite r\nWHERE r.ev_class = '${oid}' ORDER BY 1;`,
  );
  for (const [enabled, heading] of RULE_HEADINGS) {
    const these = rows.filter((r) => r[2] === enabled);
    if (these.length > 0) out.push(heading);
    // Everything after "CREATE RULE " is echoed verbatim.
    for (const [, def] of these) out.push(`    ${(def ?? "").slice(12)}`);
  }
}
