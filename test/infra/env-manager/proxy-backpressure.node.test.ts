// The proxy does not buffer a result the client is not reading: past 4 MiB waiting for the
// client (HIGH_WATER_BYTES) it stops reading from PostgreSQL, so the backend blocks on its socket
// (`ClientWrite`) instead of the proxy holding the result in memory. A raw WebSocket client speaks
// the protocol, sends a ~300 MB query and stops reading its socket.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import {
  connectDirect,
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

function message(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, "latin1");
  head.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([head, body]);
}

function startup(): Buffer {
  const params = Buffer.from("user\0postgres\0database\0postgres\0\0", "latin1");
  const head = Buffer.alloc(8);
  head.writeInt32BE(8 + params.length, 0);
  head.writeInt32BE(196608, 4);
  return Buffer.concat([head, params]);
}

/** Logs in over the proxy and sends `sql`; resolves once the query is on its way. */
function querySession(sql: string): Promise<WebSocket> {
  const { host, port, password } = created.connection;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${created.connection.ws_proxy}/v2?address=${host}:${port}`);
    let seen = Buffer.alloc(0);
    let phase: "auth" | "ready" | "sent" = "auth";
    ws.on("open", () => ws.send(startup()));
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
