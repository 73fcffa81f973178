// The WebSocket proxy is never an open relay: it refuses targets env-manager does not manage (before
// any upgrade), roles other than `postgres`, and wrong passwords (checked by PostgreSQL); and it
// holds PostgreSQL back while a client does not read.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import {
  connectDirect,
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

function message(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, "latin1");
  head.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([head, body]);
}

/** Logs in over the proxy and sends `sql`; resolves once the query is on its way. */
function querySession(sql: string): Promise<WebSocket> {
  const { host, port, password } = created.connection;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${created.connection.ws_proxy}/v2?address=${host}:${port}`);
    let seen = Buffer.alloc(0);
    let phase: "auth" | "ready" | "sent" = "auth";
    ws.on("open", () => ws.send(startupMessage(0)));
    ws.on("message", (data: Buffer) => {
      if (phase === "sent") return;
      seen = Buffer.concat([seen, data]);
      if (phase === "auth" && seen[0] === 0x52 /* R */ && seen.readInt32BE(5) === 3) {
        phase = "ready";
        seen = Buffer.alloc(0);
        ws.send(message("p", Buffer.from(`${password}\0`, "latin1")));
        return;
      }
      // ReadyForQuery ('Z', length 5) ends the login.
      if (phase === "ready" && seen.includes(Buffer.from([0x5a, 0, 0, 0, 5]))) {
        phase = "sent";
        ws.send(message("Q", Buffer.from(`${sql}\0`, "utf8")));
        resolve(ws);
      }
    });
    ws.on("error", reject);
  });
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

// The proxy does not buffer a result the client is not reading: past 4 MiB waiting for the
// client (HIGH_WATER_BYTES) it stops reading from PostgreSQL, so the backend blocks on its socket
// (`ClientWrite`) instead of the proxy holding the result in memory. A raw WebSocket client speaks
// the protocol, sends a ~300 MB query and stops reading its socket.
describe("proxy backpressure", () => {
  it("stops reading PostgreSQL while the client does not read (the backend waits in ClientWrite)", async () => {
    const rssBefore = process.memoryUsage().rss;
    const ws = await querySession(
      "SELECT g, repeat('x', 1000) AS pad FROM generate_series(1, 300000) g",
    );
    // The client stops reading: its socket's buffers fill, then the proxy's WebSocket buffer.
    (ws as unknown as { _socket: { pause(): void } })._socket.pause();

    const admin = await connectDirect(
      env.handle.manager.get(created.instance_id).instance.socketDir,
      {
        user: "postgres",
        password: created.connection.password,
        database: "postgres",
      },
    );
    try {
      let state: { wait_event: string | null; state: string } | undefined;
      for (let i = 0; i < 600; i++) {
        const { rows } = await admin.query<{ wait_event: string | null; state: string }>(
          "SELECT wait_event, state FROM pg_stat_activity WHERE query LIKE 'SELECT g, repeat%' AND pid <> pg_backend_pid()",
        );
        state = rows[0];
        if (state?.wait_event === "ClientWrite") break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(state).toEqual({ wait_event: "ClientWrite", state: "active" });
      // A backend also waits in ClientWrite for a moment while a reading proxy catches up; held
      // back, it stays there: for 2 s the query neither ends nor moves on (read without the pause,
      // the 300 MB are through in well under that and the query is idle).
      for (let i = 0; i < 40; i++) {
        await new Promise((r) => setTimeout(r, 50));
        const { rows } = await admin.query<{ wait_event: string | null; state: string }>(
          "SELECT wait_event, state FROM pg_stat_activity WHERE query LIKE 'SELECT g, repeat%' AND pid <> pg_backend_pid()",
        );
        expect(rows[0]).toEqual({ wait_event: "ClientWrite", state: "active" });
      }
      // The ~300 MB result is held back by PostgreSQL, not in this process (where the proxy runs).
      expect(process.memoryUsage().rss - rssBefore).toBeLessThan(100 * 1024 * 1024);
    } finally {
      ws.terminate();
      await admin.end();
    }
  });
});
