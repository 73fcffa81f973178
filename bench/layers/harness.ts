// The layer bench's env-manager of one layer format: a throwaway data root, instance creation with
// boot timings, SQL over the unix socket, snapshots timed until the server runs again, and the
// bytes a layer costs on disk.
import { lstat, mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type EnvManagerHandle,
  startEnvManager,
} from "../../infra/local-dev/env-manager/server.ts";
import { connectDirect, NO_POOL } from "../../infra/local-dev/env-manager/test-harness.ts";
import { parseManifest } from "../../infra/local-dev/layers/manifest.ts";

const TOKEN = "bench-layers-token";

export interface BenchInstance {
  id: string;
  socketDir: string;
  password: string;
  bootMs: number;
  unpackMs: number;
}

export interface TimedSnapshot {
  layerId: string;
  sizeBytes: number;
  /** Snapshot request until the server accepts connections again. */
  waitMs: number;
  newBytes: number | null;
}

export type Bench = Awaited<ReturnType<typeof startBench>>;

export async function startBench(format: 1 | 2, basesDir: string) {
  const dataDir = await mkdtemp(join(tmpdir(), `layers-bench-f${format}-`));
  const handle: EnvManagerHandle = await startEnvManager({
    dataDir,
    basesDir,
    workDir: `/dev/shm/layers-bench-f${format}-${process.pid}`,
    token: TOKEN,
    pool: NO_POOL,
    maxInstances: 64,
    layerFormat: format,
  });
  const mgr = handle.manager;
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(handle.url + path, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    // biome-ignore lint/suspicious/noExplicitAny: the bench reads a few known fields.
    const json: any = await res.json();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  return {
    format,
    dataDir,
    handle,
    async create(
      from: unknown = { base: { engine: mgr.binaries.engine } },
    ): Promise<BenchInstance> {
      const created = await call("POST", "/v1/instances", { from });
      const inst = mgr.get(created.instance_id).instance;
      return {
        id: created.instance_id,
        socketDir: inst.socketDir,
        password: created.connection.password,
        bootMs: created.boot.ms,
        unpackMs: inst.bootPhases.unpack,
      };
    },
    async sql(inst: BenchInstance, text: string): Promise<void> {
      await mgr.get(inst.id).instance.whenUsable();
      const c = await connectDirect(inst.socketDir, {
        user: "postgres",
        password: inst.password,
        database: "postgres",
      });
      try {
        await c.query(text);
      } finally {
        await c.end();
      }
    },
    async snapshotWritten(inst: BenchInstance): Promise<{ layerId: string; newBytes: number }> {
      const snap = await call("POST", `/v1/instances/${inst.id}/snapshot`, {});
      await mgr.get(inst.id).instance.whenUsable();
      return { layerId: snap.layer_id, newBytes: snap.new_bytes };
    },
    async snapshotTimed(inst: BenchInstance): Promise<TimedSnapshot> {
      const t0 = performance.now();
      const snap = await call("POST", `/v1/instances/${inst.id}/snapshot`, {
        background: format === 2,
      });
      await mgr.get(inst.id).instance.whenUsable();
      return {
        layerId: snap.layer_id,
        sizeBytes: snap.size_bytes,
        waitMs: performance.now() - t0,
        newBytes: snap.new_bytes,
      };
    },
    /** Bytes the layer added once written (format 1: its tar). */
    async written(layerId: string, snap: TimedSnapshot): Promise<number> {
      if (snap.newBytes !== null) return snap.newBytes;
      const w = await call("GET", `/v1/layers/${layerId}/write?wait_ms=25000`);
      if (w.state !== "written") throw new Error(`layer ${layerId}: ${w.state}`);
      return w.new_bytes ?? 0;
    },
    /** Compressed bytes of every distinct chunk a format-2 layer names (its size on its own). */
    async standaloneBytes(layerId: string): Promise<number> {
      const m = parseManifest(
        await readFile(join(dataDir, "layers", layerId, "manifest.json"), "utf8"),
      );
      const store = mgr.layers.chunks;
      let total = 0;
      for (const h of new Set(m.files.flatMap((f) => f.chunks))) {
        total += (await stat(store.path(h, store.found(h) ?? store.compression))).size;
      }
      return total;
    },
    async destroy(inst: BenchInstance): Promise<void> {
      await call("DELETE", `/v1/instances/${inst.id}`);
    },
    async close(): Promise<void> {
      await handle.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Bytes of the files under `dir` (apparent sizes). */
export async function duBytes(dir: string): Promise<number> {
  let total = 0;
  const walk = async (path: string): Promise<void> => {
    const st = await lstat(path);
    if (!st.isDirectory()) {
      total += st.size;
      return;
    }
    for (const child of await readdir(path)) await walk(join(path, child));
  };
  await walk(dir).catch(() => {});
  return total;
}
