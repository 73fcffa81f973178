// Quotas of an instance, crossed by user SQL over the proxy: temp_file_limit (PostgreSQL's own
// 53400), the statement memory cap (RLIMIT_AS: SET work_mem cannot lift it), the data-directory
// quota (the watchdog ends the sessions and GET /v1/instances/:id names `max_data_bytes`; the
// instance is not snapshotted), and the layer size cap at snapshot.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dirBytes } from "../../../infra/local-dev/env-manager/quota-watch.ts";
import {
  connectViaProxy,
  startTestEnv,
  type TestEnv,
  waitFor,
} from "../../../infra/local-dev/env-manager/test-harness.ts";

const MiB = 1024 * 1024;
let env: TestEnv;
let baseBytes = 0;

beforeAll(async () => {
  env = await startTestEnv({ quota: { maxDataBytes: 4096 * MiB, maxLayerBytes: 4096 * MiB } });
});

afterAll(async () => {
  await env?.close();
});

async function instance(quota?: { max_data_bytes: number }) {
  const created = await env.call("POST", "/v1/instances", {
    from: { base: { engine: env.handle.manager.binaries.engine } },
    ...(quota ? { quota } : {}),
  });
  expect(created.status).toBe(201);
  const client = await connectViaProxy(created.json.connection);
  return { id: created.json.instance_id as string, client };
}

async function failure(run: () => Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await run();
  } catch (err) {
    const e = err as { code?: string; message: string };
    return { code: e.code ?? "", message: e.message };
  }
  throw new Error("expected the statement to fail");
}

describe("instance quotas", () => {
  it("temp files: a runaway recursive CTE fails with 53400 at temp_file_limit", async () => {
    const { client } = await instance();
    const err = await failure(() =>
      client.query(
        `SET work_mem = '64kB';
         WITH RECURSIVE r(n, pad) AS (SELECT 1, repeat('x', 200) UNION ALL
           SELECT n + 1, pad FROM r WHERE n < 100000000)
         SELECT count(*) FROM (SELECT * FROM r ORDER BY n DESC) s`,
      ),
    );
    expect(err.code).toBe("53400");
    expect(err.message).toContain("temp_file_limit");
    // The server is still there for the next statement.
    expect((await client.query("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
    await client.end();
  });

  it("statement memory: SET work_mem cannot lift the per-backend cap (53200)", async () => {
    const { client } = await instance();
    await client.query("SET work_mem = '8GB'; SET hash_mem_multiplier = 1");
    const err = await failure(() =>
      client.query(
        "SELECT count(*) FROM (SELECT g, array_agg(repeat('y', 100)) FROM generate_series(1, 20000000) g GROUP BY g) s",
      ),
    );
    expect(err.code).toBe("53200");
    expect((await client.query("SELECT 2 AS two")).rows).toEqual([{ two: 2 }]);
    await client.end();
  });

  it("data directory: past max_data_bytes the sessions end and the instance says which quota", async () => {
    const probe = await instance();
    baseBytes = await dirBytes(env.handle.manager.get(probe.id).instance.dataDir);
    await probe.client.end();
    const max = baseBytes + 64 * MiB;
    const { id, client } = await instance({ max_data_bytes: max });
    const err = await failure(() =>
      client.query(
        "CREATE TABLE big AS SELECT g, repeat('z', 1000) AS pad FROM generate_series(1, 1000000) g",
      ),
    );
    expect(err.message).toMatch(/terminat|closed|Connection/i);
    let info = await env.call("GET", `/v1/instances/${id}`);
    await waitFor(async () => {
      info = await env.call("GET", `/v1/instances/${id}`);
      return info.json.quota_exceeded !== undefined;
    });
    expect(info.json.quota_exceeded).toMatchObject({ limit: "max_data_bytes", max_bytes: max });
    expect(info.json.quota_exceeded.used_bytes).toBeGreaterThan(max);
    const snap = await env.call("POST", `/v1/instances/${id}/snapshot`);
    expect(snap.status).toBe(409);
    expect(snap.json.error.code).toBe("quota_exceeded");
    expect(snap.json.error.message).toContain("max_data_bytes");
  });
});

describe("data quota at snapshot, before the watchdog measured", () => {
  // The watchdog never ticks here (an hour apart): only the snapshot's own measurement can see
  // that the step wrote past the quota, as when a step finishes between two ticks.
  for (const layerFormat of [1, 2] as const) {
    let quiet: TestEnv;
    afterAll(async () => {
      await quiet?.close();
    });

    it(`format ${layerFormat}: a snapshot past max_data_bytes is refused with 409 quota_exceeded`, async () => {
      quiet = await startTestEnv({
        layerFormat,
        quota: { maxDataBytes: 4096 * MiB, maxLayerBytes: 4096 * MiB, watchIntervalMs: 3_600_000 },
      });
      const create = (quota?: { max_data_bytes: number }) =>
        quiet.call("POST", "/v1/instances", {
          from: { base: { engine: quiet.handle.manager.binaries.engine } },
          ...(quota ? { quota } : {}),
        });
      const probe = await create();
      const base = await dirBytes(
        quiet.handle.manager.get(probe.json.instance_id).instance.dataDir,
      );
      const max = base + 16 * MiB;
      const created = await create({ max_data_bytes: max });
      const id = created.json.instance_id as string;
      const client = await connectViaProxy(created.json.connection);
      // ~40 MB of table: the statement finishes, nobody has measured the directory yet.
      await client.query(
        "CREATE TABLE big AS SELECT g, repeat('q', 1000) AS pad FROM generate_series(1, 40000) g",
      );
      await client.end();
      expect((await quiet.call("GET", `/v1/instances/${id}`)).json.quota_exceeded).toBeUndefined();

      const snap = await quiet.call("POST", `/v1/instances/${id}/snapshot`);
      expect(snap.status, JSON.stringify(snap.json)).toBe(409);
      expect(snap.json.error.code).toBe("quota_exceeded");
      expect(snap.json.error.message).toMatch(
        new RegExp(`^the instance exceeded max_data_bytes \\(\\d+ of ${max} bytes\\)$`),
      );
      // Marked like the watchdog marks it: the Worker reads the same answer as after a tick.
      const info = await quiet.call("GET", `/v1/instances/${id}`);
      expect(info.json.quota_exceeded).toMatchObject({ limit: "max_data_bytes", max_bytes: max });
      expect(info.json.quota_exceeded.used_bytes).toBeGreaterThan(max);
    });
  }
});

describe("layer size", () => {
  let small: TestEnv;
  afterAll(async () => {
    await small?.close();
  });

  it("refuses to snapshot a data directory over max_layer_bytes (413 layer_too_large)", async () => {
    small = await startTestEnv({ quota: { maxLayerBytes: 8 * MiB } });
    const created = await small.call("POST", "/v1/instances", {
      from: { base: { engine: small.handle.manager.binaries.engine } },
    });
    const snap = await small.call("POST", `/v1/instances/${created.json.instance_id}/snapshot`);
    expect(snap.status).toBe(413);
    expect(snap.json.error.code).toBe("layer_too_large");
    expect(snap.json.error.message).toContain("max_layer_bytes");
  });
});
