// Integration-test helper (runs inside workerd): a fresh PostgreSQL instance from the local platform
// started by test/global-setup.ts, through the real env-manager client.
import { inject } from "vitest";
import type { PgConnection } from "../../src/clients/contracts/pg-connection.ts";
import { createEnvManagerClient, type EnvManagerClient } from "../../src/clients/env-manager.ts";

export interface TestInstance {
  id: string;
  connection: PgConnection;
  destroy(): Promise<void>;
}

export function testEnvManagerClient(): EnvManagerClient {
  return createEnvManagerClient({
    baseUrl: inject("envManagerUrl"),
    token: inject("platformToken"),
  });
}

/** Creates an instance from `layerId`, or from the platform's base image when none is given. */
export async function createTestInstance(opts: { layerId?: string } = {}): Promise<TestInstance> {
  const client = testEnvManagerClient();
  const health = await client.health();
  const created = await client.create({
    from: opts.layerId ? { layer_id: opts.layerId } : { base: { engine: health.engine } },
    ttl_ms: 300_000,
  });
  return {
    id: created.instance_id,
    connection: created.connection,
    async destroy() {
      await client.destroy(created.instance_id);
    },
  };
}
