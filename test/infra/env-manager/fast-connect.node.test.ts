// The proxy's fast path: it checks the instance's password itself (sent pipelined with the startup
// message, as the Worker's driver does) and hands the WebSocket a backend session it opened
// beforehand; a pooled instance also carries its user types' names in `connection.type_names`.
import { neonConfig } from "@neondatabase/serverless";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import ws from "ws";
import { MAX_TYPE_NAMES } from "../../../infra/local-dev/env-manager/ready-sessions.ts";
import {
  connectViaProxy,
  ONE_PER_SOURCE_POOL,
  startTestEnv,
  type TestEnv,
  waitFor,
} from "../../../infra/local-dev/env-manager/test-harness.ts";
import { withAdmin } from "../../../infra/local-dev/postgres/admin.ts";
import { connectPg, MAX_HELD_NOTICES } from "../../../src/clients/pg.ts";

let env: TestEnv;
let engine: string;

// connectPg (src/clients/pg.ts) opens a session as the Worker does: the password pipelined behind
// the startup message. In Node the driver's WebSocket is the `ws` package's, as in connectViaProxy.
beforeAll(async () => {
  neonConfig.webSocketConstructor = ws;
  env = await startTestEnv({ pool: ONE_PER_SOURCE_POOL });
  engine = env.handle.manager.binaries.engine;
});
afterAll(async () => {
  await env?.close();
});

describe("proxy fast path", () => {
  it("hands a pipelined connect the instance's ready session", async () => {
    await waitFor(() => env.handle.manager.counts().pooled === 1);
    const created = await env.call("POST", "/v1/instances", { from: { base: { engine } } });
    expect(created.json.boot.source).toBe("pool");
    const before = env.handle.manager.sessions.handedOff;
    const c = await connectPg(created.json.connection);
    const res = await c.query("SELECT current_user AS u, current_database() AS d");
    expect(res.rows[0]).toEqual({ u: "postgres", d: "postgres" });
    expect(env.handle.manager.sessions.handedOff).toBe(before + 1);
    await c.end();
    // The next connect finds a new ready session opened behind the first.
    await waitFor(async () => {
      const again = await connectPg(created.json.connection);
      const ok = (await again.query("SELECT 1 AS one")).rows[0].one === 1;
      await again.end();
      return ok && env.handle.manager.sessions.handedOff >= before + 2;
    });
  });

  it("refuses a wrong pipelined password with 28P01 before any backend is involved", async () => {
    const created = await env.call("POST", "/v1/instances", { from: { base: { engine } } });
    const opened = env.handle.manager.sessions.openedOnDemand;
    const handed = env.handle.manager.sessions.handedOff;
    // A pipelined connect resolves at once; the refusal arrives with the first query.
    const c = await connectPg({
      ...created.json.connection,
      password: `${created.json.connection.password}x`,
    });
    await expect(c.query("SELECT 1")).rejects.toMatchObject({ code: "28P01" });
    expect(env.handle.manager.sessions.openedOnDemand).toBe(opened);
    expect(env.handle.manager.sessions.handedOff).toBe(handed);
  });

  it("opens a new session when the startup asks for another database, and passes its errors", async () => {
    const created = await env.call("POST", "/v1/instances", { from: { base: { engine } } });
    const admin = await connectViaProxy(created.json.connection);
    await admin.query("CREATE DATABASE other");
    await admin.end();
    const c = await connectPg({ ...created.json.connection, database: "other" });
    expect((await c.query("SELECT current_database() AS d")).rows[0].d).toBe("other");
    await c.end();
    const missing = await connectPg({ ...created.json.connection, database: "missing" });
    await expect(missing.query("SELECT 1")).rejects.toMatchObject({ code: "3D000" });
  });

  it("does not hand out a ready session the server dropped (restart)", async () => {
    const created = await env.call("POST", "/v1/instances", { from: { base: { engine } } });
    const first = await connectPg(created.json.connection);
    await first.end();
    const restarted = await env.call("POST", `/v1/instances/${created.json.instance_id}/restart`);
    expect(restarted.status).toBe(200);
    const c = await connectPg(created.json.connection);
    expect((await c.query("SELECT 2 AS two")).rows[0].two).toBe(2);
    await c.end();
  });

  /** Runs `sql` on an instance booted from `from`, snapshots it, and takes the layer from the pool. */
  async function pooledLayerWith(
    from: { base: { engine: string } } | { layer_id: string },
    sql: string,
  ) {
    const created = await env.call("POST", "/v1/instances", { from });
    const c = await connectViaProxy(created.json.connection);
    await c.query(sql);
    await c.end();
    const snap = await env.call("POST", `/v1/instances/${created.json.instance_id}/snapshot`);
    const layerId: string = snap.json.layer_id;
    await waitFor(() => env.handle.manager.pool.sources().includes(`layer:${layerId}`));
    const hit = await env.call("POST", "/v1/instances", { from: { layer_id: layerId } });
    expect(hit.json.boot.source).toBe("pool");
    return { layerId, connection: hit.json.connection };
  }

  it("knows a pooled layer's user types at hand-out", async () => {
    const { connection } = await pooledLayerWith(
      { base: { engine } },
      "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy'); CREATE TABLE t (m mood)",
    );
    const c = await connectPg(connection);
    const oid = (await c.query("SELECT 'mood'::regtype::oid::text AS oid")).rows[0].oid;
    await c.end();
    expect(connection.type_names[oid]).toBe("mood");
    expect(connection.type_names[String(23)]).toBeUndefined();
  });

  it("hands out up to MAX_TYPE_NAMES user type names, and none past them", async () => {
    // An enum is two pg_type rows (itself and its array type): 1,000 enums are the cap exactly.
    const enums = (from: number, n: number) =>
      Array.from({ length: n }, (_, i) => `CREATE TYPE e${from + i} AS ENUM ('a');`).join("");
    const at = await pooledLayerWith({ base: { engine } }, enums(0, MAX_TYPE_NAMES / 2));
    expect(Object.keys(at.connection.type_names)).toHaveLength(MAX_TYPE_NAMES);
    const over = await pooledLayerWith({ layer_id: at.layerId }, enums(MAX_TYPE_NAMES / 2, 1));
    expect(over.connection.type_names).toBeUndefined();
  });

  it("a session opened after a user's change of role or database settings sees them (no stale ready session)", async () => {
    const created = await env.call("POST", "/v1/instances", { from: { base: { engine } } });
    const first = await connectPg(created.json.connection);
    await first.query("ALTER DATABASE postgres SET search_path = app, public");
    await first.query("ALTER ROLE postgres SET work_mem = '7MB'");
    await first.end();
    const next = await connectPg(created.json.connection);
    const path = await next.query("SHOW search_path");
    const mem = await next.query("SHOW work_mem");
    expect(path.rows[0].search_path).toBe("app, public");
    expect(mem.rows[0].work_mem).toBe("7MB");
    await next.end();
  });

  /**
   * An instance whose login event trigger runs `body` (plpgsql). Only a superuser creates event
   * triggers (pg_regress's event_trigger_login does, as one). The ready session opened before the
   * trigger existed is used up, so the next ones run it.
   */
  async function withLoginTrigger(name: string, body: string) {
    const created = await env.call("POST", "/v1/instances", { from: { base: { engine } } });
    const { instance } = env.handle.manager.get(created.json.instance_id);
    await withAdmin(
      instance.socketDir,
      instance.adminPassword,
      (a) =>
        a.query(`CREATE FUNCTION ${name}() RETURNS event_trigger LANGUAGE plpgsql AS $$
          BEGIN ${body} END $$;
          CREATE EVENT TRIGGER ${name}_login ON login EXECUTE FUNCTION ${name}();
          ALTER EVENT TRIGGER ${name}_login ENABLE ALWAYS`),
      "postgres",
    );
    const before = await connectPg(created.json.connection);
    await before.query("SELECT 1");
    await before.end();
    return created.json.connection;
  }

  /**
   * The notices a new session's listener gets when it is added after the session's startup (with
   * its notices) is over: the engine adds its own after a few awaits of its own.
   */
  async function startupNotices(connection: Parameters<typeof connectPg>[0]): Promise<string[]> {
    const c = await connectPg(connection);
    await c.query("SELECT 1");
    const notices: string[] = [];
    c.on("notice", (n: { message?: string }) => notices.push(n.message ?? ""));
    await Promise.resolve();
    await c.end();
    return notices;
  }

  it("gives a login trigger's NOTICE to a notice listener added once the session is in use", async () => {
    const connection = await withLoginTrigger("welcome", "RAISE NOTICE 'You are welcome!';");
    // The ready session opened after the last one ended runs the trigger, and its NOTICE arrives
    // with the greeting the proxy replays.
    await waitFor(async () => {
      const notices = await startupNotices(connection);
      return notices.length === 1 && notices[0] === "You are welcome!";
    });
  });

  it(`holds at most ${MAX_HELD_NOTICES} startup notices: a login trigger raising more loses the rest`, async () => {
    const raised = MAX_HELD_NOTICES + 5;
    const connection = await withLoginTrigger(
      "noisy",
      `FOR i IN 1..${raised} LOOP RAISE NOTICE 'n%', i; END LOOP;`,
    );
    await waitFor(async () => {
      const notices = await startupNotices(connection);
      return (
        notices.length === MAX_HELD_NOTICES &&
        notices[0] === "n1" &&
        notices.at(-1) === `n${MAX_HELD_NOTICES}`
      );
    });
  });
});
