// Short-lived superuser sessions over an instance's unix socket (node-postgres). Used for the few
// things only the platform may do: setting the per-instance password, cancelling user queries, the
// pool's prewarm (prewarm.ts).
import pg from "pg";
import { ADMIN_DATABASE, ADMIN_ROLE, SOCKET_PORT } from "./settings.ts";

export async function withAdmin<T>(
  socketDir: string,
  adminPassword: string,
  fn: (client: pg.Client) => Promise<T>,
  database: string = ADMIN_DATABASE,
): Promise<T> {
  const client = new pg.Client({
    host: socketDir,
    port: SOCKET_PORT,
    user: ADMIN_ROLE,
    password: adminPassword,
    database,
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

/**
 * SCRAM iterations for the per-instance password. The password is 144 random bits, so key
 * stretching adds nothing, while `@neondatabase/serverless` computes PBKDF2 as one awaited
 * WebCrypto HMAC per iteration: PostgreSQL's default 4096 costs ~80 ms on every connect.
 */
export const USER_SCRAM_ITERATIONS = 16;

/** Sets the user role's password: each instance gets its own, even when booted from a shared layer. */
export async function setUserPassword(
  client: pg.Client,
  role: string,
  password: string,
): Promise<void> {
  // scram_iterations exists from PostgreSQL 16 on; older servers keep their fixed 4096.
  await client.query(
    `SELECT set_config('scram_iterations', $1, false) FROM pg_settings WHERE name = 'scram_iterations'`,
    [String(USER_SCRAM_ITERATIONS)],
  );
  await client.query(`ALTER ROLE "${role}" PASSWORD ${literal(password)}`);
}
