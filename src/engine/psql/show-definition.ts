// psql's `\sf[+] FUNCTION` and `\sv[+] VIEW` (exec_command_sf_sv): the object's OID looked up as
// psql does (lookup_object_oid), its definition as get_create_object_cmd builds it, printed as is
// or, with `+`, with line numbers (print_with_linenumbers: a function's header lines, before the
// line that starts its body with "AS ", "BEGIN " or "RETURN ", are indented and not numbered).
import type { MetaUnit } from "../units.ts";
import { catalogQuery } from "./catalog-query.ts";
import type { PsqlSession } from "./session.ts";

/** psql's fmtId, without the keyword check: quotes names that are not plain lower-case words. */
function ident(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

function literal(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/**
 * The name, as psql 18 reads it: the rest of the line without its trailing semicolons
 * (psql_scan_slash_option with OT_WHOLE_LINE and semicolon = true; psql 15 kept them).
 */
function wholeLineArgument(u: MetaUnit): string {
  return u.args.join(" ").replace(/[;\s]+$/, "");
}

/** The text print_with_linenumbers writes for `text` (which ends with a newline). */
export function withLineNumbers(text: string, isFunction: boolean): string {
  let inHeader = isFunction;
  let lineno = 0;
  const lines = text.endsWith("\n") ? text.slice(0, -1).split("\n") : text.split("\n");
  return lines
    .map((line) => {
      if (inHeader && /^(AS |BEGIN |RETURN )/.test(line)) inHeader = false;
      if (inHeader) return `        ${line}\n`;
      lineno++;
      return `${String(lineno).padEnd(7)} ${line}\n`;
    })
    .join("");
}

/** Runs one catalog query; its first row, or the server's error reported psql's way (null). */
async function firstRow(
  s: PsqlSession,
  u: MetaUnit,
  sql: string,
): Promise<(string | null)[] | undefined | null> {
  try {
    return (await catalogQuery(s)(sql))[0];
  } catch (err) {
    // psql's minimal_error_message: the severity and the primary message only.
    s.metaError(u, `ERROR:  ${(err as Error).message}`, "sql_error");
    return null;
  }
}

export async function showFunction(s: PsqlSession, u: MetaUnit): Promise<void> {
  const desc = wholeLineArgument(u);
  if (desc === "") {
    s.metaError(u, "function name is required");
    return;
  }
  // lookup_object_oid: with an argument list the name is a regprocedure, without one a regproc
  // (which fails on an overloaded name, as psql's \sf does).
  const type = desc.includes("(") ? "regprocedure" : "regproc";
  const oid = await firstRow(s, u, `SELECT ${literal(desc)}::pg_catalog.${type}::pg_catalog.oid`);
  if (!oid) return;
  const def = await firstRow(s, u, `SELECT pg_catalog.pg_get_functiondef(${oid[0]})`);
  if (!def) return;
  const text = def[0] ?? "";
  s.out.write(u.name.endsWith("+") ? withLineNumbers(text, true) : text);
}

export async function showView(s: PsqlSession, u: MetaUnit): Promise<void> {
  const name = wholeLineArgument(u);
  if (name === "") {
    s.metaError(u, "view name is required");
    return;
  }
  const row = await firstRow(
    s,
    u,
    `SELECT nspname, relname, relkind::text, pg_catalog.pg_get_viewdef(c.oid, true),\n  pg_catalog.array_to_string(pg_catalog.array_remove(pg_catalog.array_remove(c.reloptions,'check_option=local'),'check_option=cascaded'), ', ') AS reloptions,\n  CASE WHEN 'check_option=local' = ANY (c.reloptions) THEN 'LOCAL'::text WHEN 'check_option=cascaded' = ANY (c.reloptions) THEN 'CASCADED'::text ELSE NULL END AS checkoption\nFROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_namespace n ON c.relnamespace = n.oid\nWHERE c.oid = ${literal(name)}::pg_catalog.regclass::pg_catalog.oid;`,
  );
  if (row === null) return;
  const [schema, rel, kind, def, options, check] = row ?? [];
  if (kind !== "v") {
    s.metaError(u, row ? `"${schema}.${rel}" is not a view` : `"${name}" is not a view`);
    return;
  }
  let text = `CREATE OR REPLACE VIEW ${ident(schema ?? "")}.${ident(rel ?? "")}`;
  if (options) text += `\n WITH (${options})`;
  text += ` AS\n${(def ?? "").replace(/;$/, "")}`;
  if (check) text += `\n WITH ${check} CHECK OPTION`;
  text += "\n";
  s.out.write(u.name.endsWith("+") ? withLineNumbers(text, false) : text);
}
