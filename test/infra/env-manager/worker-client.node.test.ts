// The Worker's env-manager client (src/clients/env-manager.ts) against the real service, plus
// injected faults the real service cannot produce on demand (5xx, garbage, a dead port).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  startTestEnv,
  TEST_TOKEN,
  type TestEnv,
} from "../../../infra/local-dev/env-manager/test-harness.ts";
import { createEnvManagerClient } from "../../../src/clients/env-manager.ts";
import { AppError } from "../../../src/errors.ts";

let env: TestEnv;

beforeAll(async () => {
  env = await startTestEnv({ maxInstances: 1 });
});
afterAll(async () => {
  await env?.close();
});

async function caught(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error("expected an AppError");
}

describe("env-manager client", () => {
  it("creates, reads, snapshots, restarts, cancels and destroys through the contract", async () => {
    const client = createEnvManagerClient({ baseUrl: env.handle.url, token: TEST_TOKEN });
    const health = await client.health();
    const created = await client.create({ from: { base: { engine: health.engine } } });
    expect(created.boot.source).toBe("base");
    expect((await client.get(created.instance_id))?.state).toBe("ready");
    const snap = await client.snapshot(created.instance_id);
    expect(snap.layer_id).toMatch(/^[0-9a-f]{64}$/);
    expect((await client.layersInUse()).layer_ids).toContain(snap.layer_id);
    expect((await client.restart(created.instance_id)).instance_id).toBe(created.instance_id);
    expect((await client.cancel(created.instance_id)).cancelled).toBe(0);
    expect((await client.destroy(created.instance_id)).destroyed).toBe(true);
    expect(await client.get(created.instance_id)).toBeNull();
  });

  it("turns 429 into a retryable env_unavailable with the Retry-After", async () => {
    const client = createEnvManagerClient({ baseUrl: env.handle.url, token: TEST_TOKEN });
    const engine = (await client.health()).engine;
    const held = await client.create({ from: { base: { engine } }, ttl_ms: 20_000 });
    const err = await caught(client.create({ from: { base: { engine } } }));
    expect(err.status).toBe(503);
    expect(err.code).toBe("env_unavailable");
    expect(err.details.retryable).toBe(true);
    expect(err.details.retry_after_s).toBeGreaterThanOrEqual(1);
    await client.destroy(held.instance_id);
  });

  it("turns a refused token, 5xx, garbage and a dead port into env_unavailable without the URL", async () => {
    const cases = [
      createEnvManagerClient({ baseUrl: env.handle.url, token: "wrong" }),
      createEnvManagerClient({
        baseUrl: env.handle.url,
        token: TEST_TOKEN,
        fetch: async () => new Response("upstream exploded at /srv/x.ts:12", { status: 502 }),
      }),
      createEnvManagerClient({
        baseUrl: env.handle.url,
        token: TEST_TOKEN,
        fetch: async () => Response.json({ instance_id: 7 }),
      }),
      createEnvManagerClient({ baseUrl: "http://127.0.0.1:1", token: TEST_TOKEN }),
    ];
    for (const client of cases) {
      const err = await caught(client.get("i-0123456789abcdef"));
      expect(err.code).toBe("env_unavailable");
      expect(err.status).toBe(503);
      expect(err.message).not.toMatch(/127\.0\.0\.1|\/srv\//);
    }
  });

  it("maps 404 of a missing layer to env_not_found", async () => {
    const client = createEnvManagerClient({ baseUrl: env.handle.url, token: TEST_TOKEN });
    const err = await caught(client.create({ from: { layer_id: "a".repeat(64) } }));
    expect(err.status).toBe(404);
    expect(err.code).toBe("env_not_found");
    expect(err.details.upstream_code).toBe("layer_not_found");
  });
});
