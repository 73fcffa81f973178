// The platform end to end from inside workerd: env-manager boots a real PostgreSQL instance and the
// Worker's neon driver reaches it over a real WebSocket through the platform proxy.

import { env } from "cloudflare:workers";
import { Client, neonConfig } from "@neondatabase/serverless";
import { afterAll, describe, expect, inject, it } from "vitest";
import { createTestInstance, type TestInstance } from "../support/instance.ts";

neonConfig.wsProxy = (host, port) => `${proxyHost}/v2?address=${host}:${port}`;
neonConfig.useSecureWebSocket = false;
neonConfig.pipelineTLS = false;
neonConfig.pipelineConnect = false;
neonConfig.coalesceWrites = false;
let proxyHost = "";

describe("local platform smoke", () => {
  const instances: TestInstance[] = [];
  afterAll(async () => {
    await Promise.all(instances.map((i) => i.destroy()));
  });

  it("hands the Worker the platform's dynamic URLs and token as bindings", () => {
    expect(env.ENV_MANAGER_URL).toBe(inject("envManagerUrl"));
    expect(env.SNAPSHOT_CACHE_URL).toBe(inject("snapshotCacheUrl"));
    expect(env.PLATFORM_TOKEN).toBe(inject("platformToken"));
  });

  it("creates an instance and runs SELECT 1 through the proxy as the user's role", async () => {
    const inst = await createTestInstance();
    instances.push(inst);
    proxyHost = inst.connection.ws_proxy;
    const client = new Client({
      host: inst.connection.host,
      port: inst.connection.port,
      user: inst.connection.user,
      password: inst.connection.password,
      database: inst.connection.database,
    });
    client.on("error", () => {});
    await client.connect();
    const res = await client.query("SELECT 1 AS one, current_user AS who");
    await client.end();
    expect(res.rows).toEqual([{ one: 1, who: "postgres" }]);
  });
});
