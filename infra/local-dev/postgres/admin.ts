// Short-lived superuser sessions over an instance's unix socket (node-postgres). Used for the few
// things only the platform may do: setting the per-instance password, cancelling user queries.
import pg from "pg";
import { ADMIN_DATABASE, ADMIN_ROLE, SOCKET_PORT } from "./settings.ts";

export async function withAdmin<T>(
  socketDir: string,
  adminPassword: string,
  fn: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({
    host: socketDir,
    port: SOCKET_PORT,
    user: ADMIN_ROLE,
    password: adminPassword,
    database: ADMIN_DATABASE,
  });
  client.on("error", () => {});
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** A quoted SQL string literal (standard_conforming_strings is on). */
export function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** Sets the user role's password: each instance gets its own, even when booted from a shared layer. */
export function setUserPassword(
  client: pg.Client,
  role: string,
  password: string,
): Promise<unknown> {
  return client.query(`ALTER ROLE "${role}" PASSWORD ${literal(password)}`);
}
