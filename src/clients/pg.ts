// Opens an `@neondatabase/serverless` Client to a PostgreSQL instance through the platform's
// WebSocket-to-TCP proxy (`ws://<ws_proxy>/v2?address=<host>:<port>`). Settings from measurement:
// plain ws (the hop is loopback or the platform's own network), no pipelining, and no write
// coalescing (1.7 ms -> 0.35 ms per round trip).
import { Client } from "@neondatabase/serverless";
import type { PgConnection } from "./contracts/pg-connection.ts";

/** The WebSocket proxy address for a PostgreSQL host:port (without the `ws://` scheme). */
export function proxyAddress(
  conn: Pick<PgConnection, "ws_proxy">,
  host: string,
  port: number | string,
) {
  return `${conn.ws_proxy}/v2?address=${host}:${port}`;
}

/**
 * Connects a Client for `conn` (or another `database` of the same instance). The Client gets an
 * 'error' listener: after `end()` the driver emits "Network connection lost", which would otherwise
 * be an unhandled error. Errors while a query runs still reject that query.
 */
export async function connectPg(conn: PgConnection, database?: string): Promise<Client> {
  const client = new Client({
    host: conn.host,
    port: conn.port,
    user: conn.user,
    password: conn.password,
    database: database ?? conn.database,
  });
  client.neonConfig.wsProxy = (host, port) => proxyAddress(conn, host, port);
  client.neonConfig.useSecureWebSocket = false;
  client.neonConfig.pipelineTLS = false;
  client.neonConfig.pipelineConnect = false;
  client.neonConfig.coalesceWrites = false;
  client.on("error", () => {});
  await client.connect();
  return client;
}
