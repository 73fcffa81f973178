// psql's `\sv NAME`: the definition of a view as psql prints it (get_create_object_cmd):
// `CREATE OR REPLACE VIEW schema.name AS` and pg_get_viewdef's text without its final semicolon,
// with the check option. `\sv+` (line numbers) and other relation kinds are reported as not run.
import type { MetaUnit } from "../units.ts";
import { execQuery } from "./exec-query.ts";
import type { PsqlSession } from "./session.ts";

/** psql's fmtId, without the keyword check: quotes names that are not plain lower-case words. */
function ident(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

function literal(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

export async function showView(s: PsqlSession, u: MetaUnit): Promise<void> {
  // psql reads the name as the rest of the line without its trailing semicolons
  // (psql_scan_slash_option with OT_WHOLE_LINE and semicolon = true).
  const name = u.args.join(" ").replace(/[;\s]+$/, "");
  if (name === "") {
    s.metaError(u, "\\sv: view name is required");
    return;
  }
  let row: (string | null)[] | undefined;
  s.stats.round_trips++;
  const outcome = await execQuery(
    s.client!,
    `SELECT nspname, relname, relkind::text, pg_catalog.pg_get_viewdef(c.oid, true),\n  pg_catalog.array_to_string(pg_catalog.array_remove(pg_catalog.array_remove(c.reloptions,'check_option=local'),'check_option=cascaded'), ', ') AS reloptions,\n  CASE WHEN 'check_option=local' = ANY (c.reloptions) THEN 'LOCAL'::text WHEN 'check_option=cascaded' = ANY (c.reloptions) THEN 'CASCADED'::text ELSE NULL END AS checkoption\nFROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_namespace n ON c.relnamespace = n.oid\nWHERE c.oid = ${literal(name)}::pg_catalog.regclass::pg_catalog.oid;`,
    () => undefined,
    s.caps,
    (r) => {
      row = r.rows[0];
    },
  );
  if (!outcome.ok) {
    const e = outcome.error as { message?: string };
    s.metaError(u, `ERROR:  ${e.message ?? String(e)}`, "sql_error");
    return;
  }
  const [schema, rel, kind, def, options, check] = row ?? [];
  if (kind !== "v") {
    s.metaError(u, row ? `"${schema}.${rel}" is not a view` : `"${name}" is not a view`);
    return;
  }
  let text = `CREATE OR REPLACE VIEW ${ident(schema ?? "")}.${ident(rel ?? "")}`;
  if (options) text += `\n WITH (${options})`;
  text += ` AS\n${(def ?? "").replace(/;$/, "")}`;
  if (check) text += `\n WITH ${check} CHECK OPTION`;
  s.out.write(`${text}\n`);
}
