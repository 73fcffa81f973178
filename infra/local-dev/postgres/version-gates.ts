// Privileges that differ by PostgreSQL version, made to match the newest model where the server
// allows it (settings.ts holds the version-gated settings and role attributes).
import { withAdmin } from "./admin.ts";
import { ADMIN_DATABASE, USER_DATABASE } from "./settings.ts";

/**
 * PostgreSQL 15 made `public` owned by pg_database_owner (so the database owner, our user role,
 * owns it) and took CREATE on it away from PUBLIC. 14 has pg_database_owner but still gives
 * `public` to the bootstrap superuser, and dumps that `COMMENT ON SCHEMA public` or `ALTER SCHEMA
 * public OWNER TO postgres` (pagila) fail with "must be owner of schema public": do what 15 does,
 * in template1 (so new databases inherit it) and the default database.
 */
export async function alignPublicSchema(
  socketDir: string,
  adminPassword: string,
  major: number,
): Promise<void> {
  if (major >= 15) return;
  for (const database of [ADMIN_DATABASE, USER_DATABASE]) {
    await withAdmin(
      socketDir,
      adminPassword,
      async (client) => {
        await client.query("ALTER SCHEMA public OWNER TO pg_database_owner");
        await client.query("REVOKE CREATE ON SCHEMA public FROM PUBLIC");
      },
      database,
    );
  }
}
