// The WebSocket proxy is never an open relay: it refuses targets env-manager does not manage (before
// any upgrade), roles other than `postgres`, and wrong passwords (checked by PostgreSQL).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import {
  connectViaProxy,
  createBaseInstance,
  startTestEnv,
  type TestEnv,
} from "../../../infra/local-dev/env-manager/test-harness.ts";

let env: TestEnv;
// biome-ignore lint/suspicious/noExplicitAny: the create reply is read field by field.
let created: any;

beforeAll(async () => {
  env = await startTestEnv();
  created = await createBaseInstance(env);
});
afterAll(async () => {
  await env?.close();
});

/** The HTTP status the proxy answers an upgrade to `path` with (101 = accepted). */
function upgradeStatus(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${created.connection.ws_proxy}${path}`);
    ws.on("open", () => {
      ws.close();
      resolve(101);
    });
    ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
    ws.on("error", (err) => {
      if (!/Unexpected server response/.test(String(err))) reject(err);
    });
  });
}

/** Opens a raw socket to the instance, sends `first`, then `next(received)` once a reply came;
 * resolves with everything the proxy sent before it closed the socket. */
function rawExchange(first: Buffer, next?: Buffer): Promise<string> {
  const { host, port } = created.connection;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${created.connection.ws_proxy}/v2?address=${host}:${port}`);
    const got: Buffer[] = [];
    ws.on("open", () => ws.send(first));
    ws.on("message", (data: Buffer) => {
      got.push(data);
      if (next && got.length === 1) ws.send(next);
    });
    ws.on("close", () => resolve(Buffer.concat(got).toString("latin1")));
    ws.on("error", reject);
  });
}

function startupMessage(pad: number): Buffer {
  const params = Buffer.from(
    `user\0postgres\0database\0postgres\0application_name\0${"x".repeat(pad)}\0\0`,
    "latin1",
  );
  const head = Buffer.alloc(8);
  head.writeInt32BE(8 + params.length, 0);
  head.writeInt32BE(196608, 4);
  return Buffer.concat([head, params]);
}

describe("WebSocket proxy", () => {
  it("lets the user's role hold 27 sessions of an instance (env-manager's ready one among them) and refuses the next with 53300", async () => {
    const other = await env.call("POST", "/v1/instances", {
      from: { base: { engine: env.handle.manager.binaries.engine } },
    });
    const held: Awaited<ReturnType<typeof connectViaProxy>>[] = [];
    let refused: unknown;
    try {
      while (held.length < 30 && refused === undefined) {
        await connectViaProxy(other.json.connection).then(
          (c) => held.push(c),
          (e) => {
            refused = e;
          },
        );
      }
      expect(refused).toMatchObject({
        code: "53300",
        message: "remaining connection slots are reserved for roles with the SUPERUSER attribute",
      });
      const counted = await held[0]?.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = 'postgres'",
      );
      expect(counted?.rows[0].n).toBe(27);
      expect(held.length).toBeGreaterThanOrEqual(26);
    } finally {
      await Promise.all(held.map((c) => c.end().catch(() => {})));
      await env.call("DELETE", `/v1/instances/${other.json.instance_id}`);
    }
  });

  it("refuses a startup message over 10,000 bytes and a password message over 1,024", async () => {
    const base = startupMessage(0).length;
    const big = startupMessage(10_001 - base);
    expect(big.length).toBe(10_001);
    expect(await rawExchange(big)).toContain("malformed startup message");
    const password = Buffer.alloc(1 + 1025);
    password.write("p", 0, "latin1");
    password.writeInt32BE(1025, 1);
    const refused = await rawExchange(startupMessage(0), password);
    expect(refused).toContain("expected a password message");
    expect(refused).toContain("08P01");
  });

  it("accepts the address of a live instance", async () => {
    const { host, port } = created.connection;
    expect(await upgradeStatus(`/v2?address=${host}:${port}`)).toBe(101);
  });

  it("refuses unknown targets: other hosts, ports, paths and made-up instances", async () => {
    const { host } = created.connection;
    for (const path of [
      "/v2?address=127.0.0.1:5432",
      "/v2?address=127.0.0.1:22",
      "/v2?address=example.com:443",
      `/v2?address=${host}:5433`,
      "/v2?address=i-0000000000000000.sqlrunner.internal:5432",
      "/v2",
      `/v1?address=${host}:5432`,
    ]) {
      expect({ path, status: await upgradeStatus(path) }).toEqual({ path, status: 403 });
    }
  });

  it("refuses a destroyed instance's address", async () => {
    const other = await env.call("POST", "/v1/instances", {
      from: { base: { engine: env.handle.manager.binaries.engine } },
    });
    const { host, port } = other.json.connection;
    await env.call("DELETE", `/v1/instances/${other.json.instance_id}`);
    expect(await upgradeStatus(`/v2?address=${host}:${port}`)).toBe(403);
  });

  it("refuses a wrong password (PostgreSQL's SCRAM check)", async () => {
    await expect(
      connectViaProxy(created.connection, { password: "not-the-password" }),
    ).rejects.toMatchObject({ code: "28P01" });
  });

  it("refuses any role but postgres, the admin role included", async () => {
    await expect(connectViaProxy(created.connection, { user: "sqlrunner_admin" })).rejects.toThrow(
      /only role "postgres" may connect/,
    );
  });

  it("carries large results and large statements both ways", async () => {
    const c = await connectViaProxy(created.connection);
    const big = await c.query(
      "SELECT g AS n, repeat('x', 200) AS pad FROM generate_series(1, 100000) g",
    );
    expect(big.rows).toHaveLength(100_000);
    expect(big.rows[99_999].n).toBe(100_000);
    const payload = "y".repeat(8 << 20);
    const echo = await c.query("SELECT length($1::text) AS len", [payload]);
    expect(echo.rows[0].len).toBe(8 << 20);
    await c.end();
  });

  it("forwards the right credentials", async () => {
    const c = await connectViaProxy(created.connection);
    const res = await c.query("SELECT 40 + 2 AS answer");
    await c.end();
    expect(res.rows[0].answer).toBe(42);
  });
});
