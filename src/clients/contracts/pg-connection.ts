// How a PostgreSQL instance managed by env-manager is reached from the Worker: through the platform's
// WebSocket-to-TCP proxy (`ws://<ws_proxy>/v2?address=<host>:<port>`), with per-instance credentials.
// Shared by env-manager (which hands these out) and the Worker (src/clients/pg.ts).
import { z } from "zod";

/**
 * The `application_name` the Worker's sessions start with. env-manager keeps backend sessions
 * ready with exactly the Worker's startup parameters (user, database, this, client_encoding UTF8),
 * so they must not vary with the driver's version string.
 */
export const SESSION_APPLICATION_NAME = "sql-runner";

export const PgConnection = z.object({
  host: z.string(),
  port: z.number().int(),
  database: z.string(),
  user: z.string(),
  password: z.string(),
  /** host:port of the WebSocket proxy that forwards to this instance. */
  ws_proxy: z.string(),
  /**
   * Names of the instance's user types in `database` (pg_type oid -> typname) as the instance
   * booted, when env-manager knows them: result columns of these types need no catalog lookup.
   */
  type_names: z.record(z.string().regex(/^[0-9]+$/), z.string()).optional(),
});
export type PgConnection = z.infer<typeof PgConnection>;
