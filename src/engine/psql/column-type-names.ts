// The type names of a head's result columns: the driver gives type OIDs; built-in ones are named
// at once (result-set.ts), the others (`oid:N`) here, from the layer's declared types for its own
// database without asking, the rest in one pg_type query when the session ends or reconnects.
import type { Client } from "@neondatabase/serverless";
import type { ScriptStats } from "../types.ts";
import { execQuery, type QueryCaps } from "./exec-query.ts";
import type { PsqlRunOptions } from "./options.ts";
import type { HeadResultSet } from "./result-set.ts";

/** Replaces `oid:N` column types of `sets` with pg_type names. */
export async function resolveTypeNames(
  sets: HeadResultSet[],
  known: PsqlRunOptions["knownTypes"],
  database: string,
  client: Client | undefined,
  caps: QueryCaps,
  stats: ScriptStats,
): Promise<void> {
  const names = new Map<string, string>();
  if (known && known.database === database) {
    for (const [oid, name] of Object.entries(known.names)) names.set(oid, name);
  }
  const oids = new Set<string>();
  for (const s of sets)
    for (const c of s.columns)
      if (c.type.startsWith("oid:") && !names.has(c.type.slice(4))) oids.add(c.type.slice(4));
  if (oids.size > 0 && client) {
    stats.round_trips++;
    await execQuery(
      client,
      `SELECT oid::text, typname::text FROM pg_catalog.pg_type WHERE oid IN (${[...oids].join(",")})`,
      () => undefined,
      caps,
      (r) => {
        for (const [oid, name] of r.rows) if (oid && name) names.set(oid, name);
      },
    );
  }
  for (const s of sets)
    for (const c of s.columns)
      if (c.type.startsWith("oid:")) c.type = names.get(c.type.slice(4)) ?? c.type;
}
