// The catalog queries psql's describe and show commands run on the head's connection: rows only
// (NULL as null), one round trip each, counted in the head's stats.
import { execQuery } from "./exec-query.ts";
import type { PsqlSession } from "./session.ts";

type Row = (string | null)[];
/** Runs one catalog query, giving its rows (NULL as null); rejects with the server's error. */
export type CatalogQuery = (sql: string) => Promise<Row[]>;

/** Runs one catalog query on the head's connection; throws its error message. */
export function catalogQuery(s: PsqlSession): CatalogQuery {
  return async (sql) => {
    const rows: Row[] = [];
    s.stats.round_trips++;
    const outcome = await execQuery(
      s.client!,
      sql,
      () => undefined,
      s.caps,
      (r) => {
        rows.push(...r.rows);
      },
    );
    if (!outcome.ok) throw new Error(String((outcome.error as Error).message ?? outcome.error));
    return rows;
  };
}
