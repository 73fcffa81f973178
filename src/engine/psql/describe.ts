// psql's catalog listing commands: `\d` (no name), `\dt \di \dv \dm \ds \dE` (with `S` for system
// objects and `+` for more columns), `\dn`, `\dx`, `\dT`, `\dD`, `\df`, `\l`, `\du`/`\dg`, `\dp`.
// Each runs the catalog query psql runs (written after psql's describe.c) and prints its titled
// table. `\d NAME` (one object's details) is in describe-object.ts.
import type { MetaUnit } from "../units.ts";
import { parseBool } from "../variables.ts";
import { describeObjects } from "./describe-object.ts";
import { execQuery, type QueryResultSet } from "./exec-query.ts";
import { patternClause } from "./name-pattern.ts";
import { printResult } from "./print-table.ts";
import { printable } from "./result-set.ts";
import type { PsqlSession } from "./session.ts";

interface Listing {
  sql: string;
  title: string;
}

const KIND_NAMES =
  "CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'i' THEN 'index' WHEN 'S' THEN 'sequence' WHEN 't' THEN 'TOAST table' WHEN 'f' THEN 'foreign table' WHEN 'p' THEN 'partitioned table' WHEN 'I' THEN 'partitioned index' END";

const NOT_SYSTEM = (col: string) =>
  `      AND ${col} <> 'pg_catalog'\n      AND ${col} <> 'information_schema'\n`;

/** `\dT+`'s columns before Description (psql's listTypes, verbose). */
const TYPE_DETAILS = `  t.typname AS "Internal name",
  CASE WHEN t.typrelid != 0
      THEN CAST('tuple' AS pg_catalog.text)
    WHEN t.typlen < 0
      THEN CAST('var' AS pg_catalog.text)
    ELSE CAST(t.typlen AS pg_catalog.text)
  END AS "Size",
  pg_catalog.array_to_string(
      ARRAY(
          SELECT e.enumlabel
          FROM pg_catalog.pg_enum e
          WHERE e.enumtypid = t.oid
          ORDER BY e.enumsortorder
      ),
      E'\\n'
  ) AS "Elements",
  pg_catalog.pg_get_userbyid(t.typowner) AS "Owner",
  pg_catalog.array_to_string(t.typacl, E'\\n') AS "Access privileges",
`;

function relations(
  kinds: string,
  system: boolean,
  plus: boolean,
  pattern: string | undefined,
  hideAm: boolean,
): Listing {
  const rel = new Set(kinds.split(""));
  const relkinds: string[] = [];
  if (rel.has("t")) relkinds.push("'r'", "'p'");
  if (rel.has("v")) relkinds.push("'v'");
  if (rel.has("m")) relkinds.push("'m'");
  if (rel.has("i")) relkinds.push("'i'", "'I'");
  if (rel.has("s")) relkinds.push("'S'");
  if (rel.has("E")) relkinds.push("'f'");
  if (system || pattern !== undefined) relkinds.push("'t'", "'s'");
  relkinds.push("''");
  let sql = `SELECT n.nspname as "Schema",\n  c.relname as "Name",\n  ${KIND_NAMES} as "Type",\n  pg_catalog.pg_get_userbyid(c.relowner) as "Owner"`;
  if (rel.has("i")) sql += `,\n c2.relname as "Table"`;
  if (plus) {
    sql += `,\n  CASE c.relpersistence WHEN 'p' THEN 'permanent' WHEN 't' THEN 'temporary' WHEN 'u' THEN 'unlogged' END as "Persistence"`;
    if (!hideAm && (rel.has("t") || rel.has("m") || rel.has("i")))
      sql += `,\n  am.amname as "Access method"`;
    sql += `,\n  pg_catalog.pg_size_pretty(pg_catalog.pg_table_size(c.oid)) as "Size",\n  pg_catalog.obj_description(c.oid, 'pg_class') as "Description"`;
  }
  sql += `\nFROM pg_catalog.pg_class c\n     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace\n     LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam`;
  if (rel.has("i")) {
    sql += `\n     LEFT JOIN pg_catalog.pg_index i ON i.indexrelid = c.oid\n     LEFT JOIN pg_catalog.pg_class c2 ON i.indrelid = c2.oid`;
  }
  sql += `\nWHERE c.relkind IN (${relkinds.join(",")})\n`;
  if (!system && pattern === undefined) {
    sql += `      AND n.nspname <> 'pg_catalog'\n      AND n.nspname !~ '^pg_toast'\n      AND n.nspname <> 'information_schema'\n`;
  }
  sql += patternClause(pattern, "n.nspname", "c.relname", "pg_catalog.pg_table_is_visible(c.oid)");
  sql += "ORDER BY 1,2;";
  return { sql, title: relationsTitle(rel) };
}

/** psql 18's title: one kind asked names it (`\dt`: "List of tables"), several (`\d`, `\dti`) not. */
function relationsTitle(rel: Set<string>): string {
  const titles: [string, string][] = [
    ["t", "List of tables"],
    ["i", "List of indexes"],
    ["v", "List of views"],
    ["m", "List of materialized views"],
    ["s", "List of sequences"],
    ["E", "List of foreign tables"],
  ];
  const asked = titles.filter(([k]) => rel.has(k));
  return asked.length === 1 ? asked[0]![1] : "List of relations";
}

function listing(
  cmd: string,
  plus: boolean,
  system: boolean,
  pattern?: string,
  hideAm = false,
): Listing | undefined {
  if (cmd === "d") return relations("tvmsE", system, plus, pattern, hideAm);
  if (/^d[tivmsE]+$/.test(cmd)) return relations(cmd.slice(1), system, plus, pattern, hideAm);
  // `\df+`'s extra columns (volatility, owner, source...) are not built: reported, not dropped.
  if (/^df[anptw]*$/.test(cmd)) return plus ? undefined : functions(cmd.slice(2), system, pattern);
  switch (cmd) {
    case "dn":
      return {
        sql: `SELECT n.nspname AS "Name",\n  pg_catalog.pg_get_userbyid(n.nspowner) AS "Owner"${plus ? `,\n  pg_catalog.array_to_string(n.nspacl, E'\\n') AS "Access privileges",\n  pg_catalog.obj_description(n.oid, 'pg_namespace') AS "Description"` : ""}\nFROM pg_catalog.pg_namespace n\nWHERE ${system || pattern ? "true" : "n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'"}\n${patternClause(pattern, undefined, "n.nspname", undefined)}ORDER BY 1;`,
        title: "List of schemas",
      };
    case "dx":
      return {
        sql: `SELECT e.extname AS "Name", e.extversion AS "Version", n.nspname AS "Schema", c.description AS "Description"\nFROM pg_catalog.pg_extension e LEFT JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace LEFT JOIN pg_catalog.pg_description c ON c.objoid = e.oid AND c.classoid = 'pg_catalog.pg_extension'::pg_catalog.regclass\nWHERE true\n${patternClause(pattern, undefined, "e.extname", undefined)}ORDER BY 1;`,
        title: "List of installed extensions",
      };
    case "dT":
      return {
        sql: `SELECT n.nspname as "Schema",\n  pg_catalog.format_type(t.oid, NULL) AS "Name",\n${plus ? TYPE_DETAILS : ""}  pg_catalog.obj_description(t.oid, 'pg_type') as "Description"\nFROM pg_catalog.pg_type t\n     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace\nWHERE (t.typrelid = 0 OR (SELECT c.relkind = 'c' FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid))\n  AND NOT EXISTS(SELECT 1 FROM pg_catalog.pg_type el WHERE el.oid = t.typelem AND el.typarray = t.oid)\n${system || pattern ? "" : NOT_SYSTEM("n.nspname")}${patternClause(pattern, "n.nspname", "t.typname", "pg_catalog.pg_type_is_visible(t.oid)")}ORDER BY 1, 2;`,
        title: "List of data types",
      };
    case "dD":
      return {
        sql: `SELECT n.nspname as "Schema",\n       t.typname as "Name",\n       pg_catalog.format_type(t.typbasetype, t.typtypmod) as "Type",\n       (SELECT c.collname FROM pg_catalog.pg_collation c, pg_catalog.pg_type bt\n        WHERE c.oid = t.typcollation AND bt.oid = t.typbasetype AND t.typcollation <> bt.typcollation) as "Collation",\n       CASE WHEN t.typnotnull THEN 'not null' END as "Nullable",\n       t.typdefault as "Default",\n       pg_catalog.array_to_string(ARRAY(\n         SELECT pg_catalog.pg_get_constraintdef(r.oid, true) FROM pg_catalog.pg_constraint r WHERE t.oid = r.contypid AND r.contype = 'c' ORDER BY r.conname\n       ), ' ') as "Check"\nFROM pg_catalog.pg_type t\n     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace\nWHERE t.typtype = 'd'\n${system || pattern ? "" : NOT_SYSTEM("n.nspname")}${patternClause(pattern, "n.nspname", "t.typname", "pg_catalog.pg_type_is_visible(t.oid)")}ORDER BY 1, 2;`,
        title: "List of domains",
      };
    case "da":
      // psql's describeAggregates (\da has no verbose form: `+` changes nothing).
      return {
        sql: `SELECT n.nspname as "Schema",\n  p.proname AS "Name",\n  pg_catalog.format_type(p.prorettype, NULL) AS "Result data type",\n  CASE WHEN p.pronargs = 0\n    THEN CAST('*' AS pg_catalog.text)\n    ELSE pg_catalog.pg_get_function_arguments(p.oid)\n  END AS "Argument data types",\n  pg_catalog.obj_description(p.oid, 'pg_proc') as "Description"\nFROM pg_catalog.pg_proc p\n     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace\nWHERE p.prokind = 'a'\n${system || pattern ? "" : NOT_SYSTEM("n.nspname")}${patternClause(pattern, "n.nspname", "p.proname", "pg_catalog.pg_function_is_visible(p.oid)")}ORDER BY 1, 2, 4;`,
        title: "List of aggregate functions",
      };
    case "dX":
      // psql's listExtendedStats.
      return {
        sql: `SELECT \nes.stxnamespace::pg_catalog.regnamespace::pg_catalog.text AS "Schema", \nes.stxname AS "Name", \npg_catalog.format('%s FROM %s', \n  pg_catalog.pg_get_statisticsobjdef_columns(es.oid), \n  es.stxrelid::pg_catalog.regclass) AS "Definition",\nCASE WHEN 'd' = any(es.stxkind) THEN 'defined' \nEND AS "Ndistinct", \nCASE WHEN 'f' = any(es.stxkind) THEN 'defined' \nEND AS "Dependencies",\nCASE WHEN 'm' = any(es.stxkind) THEN 'defined' \nEND AS "MCV"  \nFROM pg_catalog.pg_statistic_ext es \nWHERE true\n${patternClause(pattern, "es.stxnamespace::pg_catalog.regnamespace::pg_catalog.text", "es.stxname", "pg_catalog.pg_statistics_obj_is_visible(es.oid)")}ORDER BY 1, 2;`,
        title: "List of extended statistics",
      };
    case "l":
      return {
        sql: `SELECT\n  d.datname as "Name",\n  pg_catalog.pg_get_userbyid(d.datdba) as "Owner",\n  pg_catalog.pg_encoding_to_char(d.encoding) as "Encoding",\n  CASE d.datlocprovider WHEN 'b' THEN 'builtin' WHEN 'c' THEN 'libc' WHEN 'i' THEN 'icu' END AS "Locale Provider",\n  d.datcollate as "Collate",\n  d.datctype as "Ctype",\n  d.datlocale as "Locale",\n  d.daticurules as "ICU Rules",\n  pg_catalog.array_to_string(d.datacl, E'\\n') AS "Access privileges"\nFROM pg_catalog.pg_database d\nWHERE true\n${patternClause(pattern, undefined, "d.datname", undefined)}ORDER BY 1;`,
        title: "List of databases",
      };
    case "du":
    case "dg":
      return {
        sql: `SELECT r.rolname, r.rolsuper, r.rolinherit,\n  r.rolcreaterole, r.rolcreatedb, r.rolcanlogin,\n  r.rolconnlimit, r.rolvaliduntil, r.rolreplication, r.rolbypassrls\nFROM pg_catalog.pg_roles r\nWHERE ${system || pattern ? "true" : "r.rolname !~ '^pg_'"}\n${patternClause(pattern, undefined, "r.rolname", undefined)}ORDER BY 1;`,
        title: "List of roles",
      };
    case "dp":
    case "z":
      return {
        sql: `SELECT n.nspname as "Schema",\n  c.relname as "Name",\n  CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'S' THEN 'sequence' WHEN 'f' THEN 'foreign table' WHEN 'p' THEN 'partitioned table' END as "Type",\n  pg_catalog.array_to_string(c.relacl, E'\\n') AS "Access privileges",\n  pg_catalog.array_to_string(ARRAY(\n    SELECT attname || E':\\n  ' || pg_catalog.array_to_string(attacl, E'\\n  ')\n    FROM pg_catalog.pg_attribute a\n    WHERE attrelid = c.oid AND NOT attisdropped AND attacl IS NOT NULL\n  ), E'\\n') AS "Column privileges",\n  pg_catalog.array_to_string(ARRAY(\n    SELECT polname\n    || CASE WHEN NOT polpermissive THEN\n       E' (RESTRICTIVE)'\n       ELSE '' END\n    || CASE WHEN polcmd != '*' THEN\n           E' (' || polcmd::pg_catalog.text || E'):'\n       ELSE E':'\n       END\n    || CASE WHEN polqual IS NOT NULL THEN\n           E'\\n  (u): ' || pg_catalog.pg_get_expr(polqual, polrelid)\n       ELSE E''\n       END\n    || CASE WHEN polwithcheck IS NOT NULL THEN\n           E'\\n  (c): ' || pg_catalog.pg_get_expr(polwithcheck, polrelid)\n       ELSE E''\n       END    || CASE WHEN polroles <> '{0}' THEN\n           E'\\n  to: ' || pg_catalog.array_to_string(\n               ARRAY(\n                   SELECT rolname\n                   FROM pg_catalog.pg_roles\n                   WHERE oid = ANY (polroles)\n                   ORDER BY 1\n               ), E', ')\n       ELSE E''\n       END\n    FROM pg_catalog.pg_policy pol\n    WHERE polrelid = c.oid), E'\\n')\n    AS "Policies"\nFROM pg_catalog.pg_class c\n     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace\nWHERE c.relkind IN ('r','v','m','S','f','p')\n${system || pattern ? "" : "  AND n.nspname !~ '^pg_' AND pg_catalog.pg_table_is_visible(c.oid)\n"}${patternClause(pattern, "n.nspname", "c.relname", "pg_catalog.pg_table_is_visible(c.oid)")}ORDER BY 1, 2;`,
        title: "Access privileges",
      };
  }
  return undefined;
}

/**
 * psql's describeFunctions: `\df` with the kinds asked (`a` aggregates, `n` normal, `p`
 * procedures, `t` trigger functions, `w` window functions; none: all). Asking for normal
 * functions leaves out the kinds not asked; otherwise only the kinds asked are listed.
 */
function functions(kinds: string, system: boolean, pattern?: string): Listing {
  const all = kinds === "" || ["a", "n", "p", "t", "w"].every((k) => kinds.includes(k));
  const trigger = "p.prorettype = 'pg_catalog.trigger'::pg_catalog.regtype";
  let filter = "";
  if (!all && kinds.includes("n")) {
    if (!kinds.includes("a")) filter += "      AND p.prokind != 'a'\n";
    if (!kinds.includes("p")) filter += "      AND (p.prokind IS NULL OR p.prokind <> 'p')\n";
    if (!kinds.includes("t"))
      filter += `      AND p.prorettype <> 'pg_catalog.trigger'::pg_catalog.regtype\n`;
    if (!kinds.includes("w")) filter += "      AND p.prokind <> 'w'\n";
  } else if (!all) {
    const asked: Record<string, string> = {
      a: "p.prokind = 'a'",
      t: trigger,
      p: "p.prokind = 'p'",
      w: "p.prokind = 'w'",
    };
    const terms = ["a", "t", "p", "w"].filter((k) => kinds.includes(k)).map((k) => asked[k]);
    filter = `      AND (\n         ${terms.join("\n         OR ")}\n      )\n`;
  }
  return {
    sql: `SELECT n.nspname as "Schema",\n  p.proname as "Name",\n  pg_catalog.pg_get_function_result(p.oid) as "Result data type",\n  pg_catalog.pg_get_function_arguments(p.oid) as "Argument data types",\n CASE p.prokind\n  WHEN 'a' THEN 'agg'\n  WHEN 'w' THEN 'window'\n  WHEN 'p' THEN 'proc'\n  ELSE 'func'\n END as "Type"\nFROM pg_catalog.pg_proc p\n     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace\nWHERE true\n${filter}${patternClause(pattern, "n.nspname", "p.proname", "pg_catalog.pg_function_is_visible(p.oid)")}${system || pattern ? "" : NOT_SYSTEM("n.nspname")}ORDER BY 1, 2, 4;`,
    title: "List of functions",
  };
}

/** psql's `\du` folds the role flags into one "Attributes" column. */
function roleTable(r: QueryResultSet): QueryResultSet {
  const rows = r.rows.map((row) => {
    const [name, sup, inh, cr, cd, login, limit, until, repl, bypass] = row;
    const attrs: string[] = [];
    if (sup === "t") attrs.push("Superuser");
    if (inh !== "t") attrs.push("No inheritance");
    if (cr === "t") attrs.push("Create role");
    if (cd === "t") attrs.push("Create DB");
    if (login !== "t") attrs.push("Cannot login");
    if (repl === "t") attrs.push("Replication");
    if (bypass === "t") attrs.push("Bypass RLS");
    if (limit && limit !== "-1")
      attrs.push(limit === "1" ? "1 connection" : `${limit} connections`);
    if (until) attrs.push(`Password valid until ${until}`);
    return [name ?? "", attrs.join(", ")];
  });
  return {
    ...r,
    fields: [
      { name: "Role name", dataTypeID: 25 },
      { name: "Attributes", dataTypeID: 25 },
    ],
    rows,
  };
}

/** Runs a listing command; false when `u` is not one. */
export async function describe(s: PsqlSession, u: MetaUnit): Promise<boolean> {
  // Name, then S (system objects), + (more columns), x (expanded): `\dtS+`, `\dx+`, `\lx`.
  const m = /^(d[a-zA-Z]*?|l|z)(S?)(\+?)(x?)$/.exec(u.name);
  if (!m) return false;
  let cmd = m[1]!;
  let system = m[2] === "S";
  let expanded = m[4] === "x";
  const plus = m[3] === "+";
  const pattern = u.args[0];
  // `\dx` is a command of its own (extensions), not `\d` expanded.
  if (expanded && listing(`${cmd}x`, plus, system, pattern) && !system) {
    cmd = `${cmd}x`;
    expanded = false;
  }
  if (cmd.endsWith("S") && cmd.length > 1 && !system) {
    cmd = cmd.slice(0, -1);
    system = true;
  }
  if (cmd === "d" && pattern !== undefined) {
    // `\d NAME`, `\dS NAME`, `\d+ NAME`; psql describes one object unexpanded (`\dx` is above).
    await describeObjects(s, u, pattern, plus);
    return true;
  }
  const l = listing(
    cmd,
    plus,
    system,
    pattern,
    parseBool(s.vars.get("HIDE_TABLEAM") ?? "") === true,
  );
  if (!l) return false;
  let result: QueryResultSet | undefined;
  s.stats.round_trips++;
  const outcome = await execQuery(
    s.client!,
    l.sql,
    () => undefined,
    s.caps,
    (r) => {
      result = r;
    },
  );
  if (!outcome.ok || !result) {
    s.metaError(
      u,
      `\\${u.name}: ${outcome.ok ? "no result" : String((outcome.error as Error).message)}`,
    );
    return true;
  }
  if (cmd === "du" || cmd === "dg") result = roleTable(result);
  const print = { ...s.print, title: l.title };
  if (expanded) print.expanded = "on";
  if (cmd === "du" || cmd === "dg") print.footer = false;
  s.out.write(printResult(printable(result), print));
  return true;
}
