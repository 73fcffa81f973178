// How a PostgreSQL instance managed by env-manager is reached from the Worker: through the platform's
// WebSocket-to-TCP proxy (`ws://<ws_proxy>/v2?address=<host>:<port>`), with per-instance credentials.
// Shared by env-manager (which hands these out) and the Worker (src/clients/pg.ts).
import { z } from "zod";

export const PgConnection = z.object({
  host: z.string(),
  port: z.number().int(),
  database: z.string(),
  user: z.string(),
  password: z.string(),
  /** host:port of the WebSocket proxy that forwards to this instance. */
  ws_proxy: z.string(),
});
export type PgConnection = z.infer<typeof PgConnection>;
