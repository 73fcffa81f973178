// Integration-test helper (runs inside workerd): a fresh PostgreSQL instance from the local platform
// started by test/global-setup.ts, through the real env-manager client.
import { inject } from "vitest";
import { selectEngine } from "../../src/clients/contracts/engines.ts";
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
    // The first instance of an engine makes its base image: slow on a loaded machine.
    timeoutMs: 180_000,
  });
}

/**
 * Creates an instance from `layerId`, or from the base image of `engine` (a version such as "14";
 * the platform's default engine when absent).
 */
export async function createTestInstance(
  opts: { layerId?: string; engine?: string } = {},
): Promise<TestInstance> {
  const client = testEnvManagerClient();
  const health = await client.health();
  const engine = opts.engine ? selectEngine(opts.engine, health.engines)?.engine : health.engine;
  if (!engine) throw new Error(`the platform has no engine ${opts.engine}`);
  const created = await client.create({
    from: opts.layerId ? { layer_id: opts.layerId } : { base: { engine } },
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
