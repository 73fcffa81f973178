// Online snapshots (format 2): the server is frozen for the copy instead of stopped, so the source
// instance keeps its server process and its sessions; what was committed before the snapshot is
// in every boot from the layer (through crash recovery). Clusters that crash recovery would not
// give back whole (unlogged or temporary tables) are snapshotted by the clean stop instead.
import { neonConfig } from "@neondatabase/serverless";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import ws from "ws";
import { onlineSnapshotsDefault } from "../../../infra/local-dev/env-manager/online-snapshot.ts";
import {
  connectViaProxy,
  startTestEnv,
  type TestEnv,
} from "../../../infra/local-dev/env-manager/test-harness.ts";
import { connectPg } from "../../../src/clients/pg.ts";

let env: TestEnv;
let engine: string;
const lines: string[] = [];

beforeAll(async () => {
  // For connectPg, the Worker's own connect (fast-connect.node.test.ts: it gets the ready session).
  neonConfig.webSocketConstructor = ws;
  env = await startTestEnv({ log: (line) => lines.push(line) });
  engine = env.handle.manager.binaries.engine;
});
afterAll(async () => {
  await env?.close();
});

// biome-ignore lint/suspicious/noExplicitAny: the created instance's JSON is read field by field.
async function create(from: unknown): Promise<any> {
  const created = await env.call("POST", "/v1/instances", { from });
  expect(created.status).toBe(201);
  return created.json;
}

async function snapshot(
  instanceId: string,
): Promise<{ layerId: string; log: Record<string, unknown> }> {
  const snap = await env.call("POST", `/v1/instances/${instanceId}/snapshot`);
  expect(snap.status).toBe(200);
  const logged = lines
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.event === "snapshot" && l.layer === snap.json.layer_id);
  expect(logged).toHaveLength(1);
  return { layerId: snap.json.layer_id, log: logged[0] as Record<string, unknown> };
}

const pidOf = (instanceId: string) => env.handle.manager.get(instanceId).instance.pid;

async function countIn(layerId: string, sql: string): Promise<number> {
  const booted = await create({ layer_id: layerId });
  const c = await connectViaProxy(booted.connection);
  try {
    const res = await c.query(sql);
    return Number(res.rows[0].n);
  } finally {
    await c.end();
    await env.call("DELETE", `/v1/instances/${booted.instance_id}`);
  }
}

describe("online snapshot", () => {
  it("keeps the source serving, and a boot from the layer has what was committed", async () => {
    const src = await create({ base: { engine } });
    const c = await connectViaProxy(src.connection);
    await c.query(`CREATE TABLE t (id int PRIMARY KEY, v text)`);
    await c.query(`INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 5000) g`);
    // Session state: only the same backend still knows it after the snapshot.
    await c.query(`SET app.marker = 'kept'`);
    const pid = pidOf(src.instance_id);

    // A second session queries all through the snapshot; a stopped server would end it.
    const other = await connectViaProxy(src.connection);
    let served = 0;
    let stop = false;
    const load = (async () => {
      while (!stop) {
        await other.query(`SELECT count(*) FROM t`);
        served++;
      }
    })();
    const first = await snapshot(src.instance_id);
    stop = true;
    // Rejects if a query failed: the session was cut by the snapshot.
    await load;
    expect(served).toBeGreaterThan(0);
    expect((await other.query(`SELECT count(*) AS n FROM t`)).rows[0].n).toBe("5000");
    await c.query(`INSERT INTO t SELECT g, 'after' FROM generate_series(5001, 5100) g`);

    expect(first.log.online).toBe(true);
    expect(typeof first.log.frozen_ms).toBe("number");
    expect(pidOf(src.instance_id)).toBe(pid);
    expect((await c.query(`SHOW app.marker`)).rows[0]["app.marker"]).toBe("kept");
    expect(await countIn(first.layerId, `SELECT count(*) AS n FROM t`)).toBe(5000);

    // A second online snapshot of the same instance carries the rows written since the first
    // (only files changed since then are copied: this checks that none is missed).
    await c.query(`UPDATE t SET v = 'changed' WHERE id <= 10`);
    const second = await snapshot(src.instance_id);
    expect(second.log.online).toBe(true);
    expect(pidOf(src.instance_id)).toBe(pid);
    expect(await countIn(second.layerId, `SELECT count(*) AS n FROM t`)).toBe(5100);
    expect(await countIn(second.layerId, `SELECT count(*) AS n FROM t WHERE v = 'changed'`)).toBe(
      10,
    );
    await other.end();
    await c.end();
    await env.call("DELETE", `/v1/instances/${src.instance_id}`);
  });

  it("hands out the instance's ready session after an online snapshot", async () => {
    const src = await create({ base: { engine } });
    const mgr = env.handle.manager;
    const { instance } = mgr.get(src.instance_id);
    await mgr.sessions.prestart(instance);
    await snapshot(src.instance_id);
    const handedOff = mgr.sessions.handedOff;
    const c = await connectPg(src.connection);
    expect((await c.query(`SELECT 1 AS one`)).rows[0].one).toBe(1);
    // A stopped server would have ended the ready session: the proxy would open a new one.
    expect(mgr.sessions.handedOff).toBe(handedOff + 1);
    await c.end();
    await env.call("DELETE", `/v1/instances/${src.instance_id}`);
  });

  it("falls back to the clean stop for an unlogged table, whose rows the layer keeps", async () => {
    const src = await create({ base: { engine } });
    const c = await connectViaProxy(src.connection);
    await c.query(`CREATE UNLOGGED TABLE u AS SELECT g AS n FROM generate_series(1, 300) g`);
    await c.end();
    const pid = pidOf(src.instance_id);
    const snap = await snapshot(src.instance_id);
    expect(snap.log.online).toBe(false);
    expect(String(snap.log.reason)).toMatch(/unlogged/);
    await env.handle.manager.get(src.instance_id).instance.whenUsable();
    expect(pidOf(src.instance_id)).not.toBe(pid);
    // Crash recovery would have emptied it; the clean stop keeps its rows.
    expect(await countIn(snap.layerId, `SELECT count(*) AS n FROM u`)).toBe(300);
    await env.call("DELETE", `/v1/instances/${src.instance_id}`);
  });

  it("falls back to the clean stop while a session holds a temporary table", async () => {
    const src = await create({ base: { engine } });
    const c = await connectViaProxy(src.connection);
    await c.query(`CREATE TEMP TABLE scratch (n int)`);
    const snap = await snapshot(src.instance_id);
    expect(snap.log.online).toBe(false);
    expect(String(snap.log.reason)).toMatch(/temporary/);
    // The clean stop ended the session (and its temporary table) for good.
    await expect(c.query(`SELECT 1`)).rejects.toThrow();
    await env.call("DELETE", `/v1/instances/${src.instance_id}`);
  });

  it("is on unless ENV_MANAGER_ONLINE_SNAPSHOTS=0", () => {
    expect(onlineSnapshotsDefault({})).toBe(true);
    expect(onlineSnapshotsDefault({ ENV_MANAGER_ONLINE_SNAPSHOTS: "1" })).toBe(true);
    expect(onlineSnapshotsDefault({ ENV_MANAGER_ONLINE_SNAPSHOTS: "0" })).toBe(false);
  });
});

describe("online snapshots turned off", () => {
  it("stops the server for the copy", async () => {
    const off = await startTestEnv({ onlineSnapshots: false });
    try {
      const created = await off.call("POST", "/v1/instances", { from: { base: { engine } } });
      const id = created.json.instance_id;
      const pid = off.handle.manager.get(id).instance.pid;
      const snap = await off.call("POST", `/v1/instances/${id}/snapshot`);
      expect(snap.status).toBe(200);
      const { instance } = off.handle.manager.get(id);
      await instance.whenUsable();
      expect(instance.pid).not.toBe(pid);
    } finally {
      await off.close();
    }
  });
});
