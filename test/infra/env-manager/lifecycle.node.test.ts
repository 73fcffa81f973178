// Instance lifecycle against real PostgreSQL: TTL reaping, death detection, restart, cancel, the
// instance cap with 429 + Retry-After, and ten concurrent creates.
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connectViaProxy,
  startTestEnv,
  type TestEnv,
  waitFor,
} from "../../../infra/local-dev/env-manager/test-harness.ts";

let env: TestEnv;
let engine: string;

beforeAll(async () => {
  env = await startTestEnv({ maxInstances: 12, reapIntervalMs: 100 });
  engine = env.handle.manager.binaries.engine;
});
afterAll(async () => {
  await env?.close();
});

const create = (ttl_ms?: number) =>
  env.call("POST", "/v1/instances", { from: { base: { engine } }, ...(ttl_ms ? { ttl_ms } : {}) });

describe("instance lifecycle", () => {
  it("creates 10 instances concurrently, each reachable and distinct", async () => {
    const created = await Promise.all(Array.from({ length: 10 }, () => create()));
    expect(created.map((r) => r.status)).toEqual(Array(10).fill(201));
    const ids = new Set(created.map((r) => r.json.instance_id));
    expect(ids.size).toBe(10);
    const answers = await Promise.all(
      created.map(async (r, i) => {
        const c = await connectViaProxy(r.json.connection);
        await c.query(`CREATE TABLE mine AS SELECT ${i} AS n`);
        const res = await c.query(`SELECT n FROM mine`);
        await c.end();
        return res.rows[0].n;
      }),
    );
    expect(answers).toEqual(Array.from({ length: 10 }, (_, i) => i));
    await Promise.all(
      created.map((r) => env.call("DELETE", `/v1/instances/${r.json.instance_id}`)),
    );
    expect(env.handle.manager.counts().instances).toBe(0);
  });

  it("reaps an instance when its TTL ends", async () => {
    const created = await create(1_000);
    const id = created.json.instance_id;
    const dir = env.handle.manager.get(id).instance.dir;
    await waitFor(async () => (await env.call("GET", `/v1/instances/${id}`)).status === 404);
    await waitFor(() => !existsSync(dir));
    expect(env.handle.manager.counts().instances).toBe(0);
  });

  it("notices a killed postgres and reports the instance dead", async () => {
    const created = await create();
    const id = created.json.instance_id;
    const pid = env.handle.manager.get(id).instance.pid;
    expect(pid).toBeGreaterThan(0);
    process.kill(pid as number, "SIGKILL");
    await waitFor(async () => (await env.call("GET", `/v1/instances/${id}`)).json.state === "dead");
    const snap = await env.call("POST", `/v1/instances/${id}/snapshot`);
    expect(snap.status).toBe(409);
    expect(snap.json.error.code).toBe("instance_dead");
    await expect(connectViaProxy(created.json.connection)).rejects.toThrow();
    await env.call("DELETE", `/v1/instances/${id}`);
  });

  it("restarts an instance: sessions end, data and credentials stay", async () => {
    const created = await create();
    const id = created.json.instance_id;
    const c = await connectViaProxy(created.json.connection);
    await c.query(`CREATE TABLE kept AS SELECT 42 AS n`);
    const before = await c.query(`SELECT pg_postmaster_start_time() AS t`);
    const restarted = await env.call("POST", `/v1/instances/${id}/restart`);
    expect(restarted.status).toBe(200);
    // The old session was ended by the restart (fast shutdown).
    await expect(c.query("SELECT 1")).rejects.toThrow();
    const c2 = await connectViaProxy(created.json.connection);
    const after = await c2.query(
      `SELECT pg_postmaster_start_time() AS t, (SELECT n FROM kept) AS n`,
    );
    await c2.end();
    expect(after.rows[0].n).toBe(42);
    expect(after.rows[0].t).not.toEqual(before.rows[0].t);
    await env.call("DELETE", `/v1/instances/${id}`);
  });

  it("cancels the user's running query", async () => {
    const created = await create();
    const id = created.json.instance_id;
    const c = await connectViaProxy(created.json.connection);
    const running = c.query(`SELECT pg_sleep(30)`).then(
      () => null,
      (err: { code?: string }) => err.code,
    );
    await waitFor(async () => {
      const probe = await connectViaProxy(created.json.connection);
      const res = await probe.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%' AND state = 'active'`,
      );
      await probe.end();
      return res.rows[0].n === 1;
    });
    const cancel = await env.call("POST", `/v1/instances/${id}/cancel`);
    expect(cancel.status).toBe(200);
    expect(cancel.json.cancelled).toBe(1);
    expect(await running).toBe("57014");
    const still = await c.query(`SELECT 1 AS ok`);
    expect(still.rows[0].ok).toBe(1);
    await c.end();
    await env.call("DELETE", `/v1/instances/${id}`);
  });

  it("answers 429 instance_limit with Retry-After when the cap is reached", async () => {
    const created = await Promise.all(Array.from({ length: 12 }, () => create(30_000)));
    expect(created.every((r) => r.status === 201)).toBe(true);
    const refused = await create();
    expect(refused.status).toBe(429);
    expect(refused.json.error.code).toBe("instance_limit");
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(30);
    await env.call("DELETE", `/v1/instances/${created[0]?.json.instance_id}`);
    const again = await create();
    expect(again.status).toBe(201);
    await Promise.all(
      [...created.slice(1), again].map((r) =>
        env.call("DELETE", `/v1/instances/${r.json.instance_id}`),
      ),
    );
  });
});
