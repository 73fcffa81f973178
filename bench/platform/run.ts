// `npm run bench:platform`: the local platform on a pagila-sized cluster, side by side in one run.
//   - acquire an instance from the warm pool (env-manager with a pool)
//   - boot an instance from a layer without the pool
//   - snapshot an instance into a layer (format 2, and format 1 = one tar, in the same run)
//   - baseline: CREATE DATABASE ... TEMPLATE on one server, STRATEGY wal_log and file_copy
// Prints a markdown table (medians and p90, ratios against the baseline) for docs/benchmarks.md.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEnvManager } from "../../infra/local-dev/env-manager/server.ts";
import {
  connectDirect,
  connectViaProxy,
  NO_POOL,
} from "../../infra/local-dev/env-manager/test-harness.ts";
import { loadPagila } from "./pagila.ts";
import { fmt, median, percentile, timed } from "./stats.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const TOKEN = "bench-platform-token";

interface Row {
  name: string;
  samples: number[];
  note?: string;
}
const rows: Row[] = [];
let tarBytes = 0;
const log = (line: string) => console.error(line);

const dataDir = await mkdtemp(join(tmpdir(), "platform-bench-"));
const noPool = await startEnvManager({
  dataDir,
  workDir: `/dev/shm/platform-bench-a-${process.pid}`,
  token: TOKEN,
  pool: NO_POOL,
  maxInstances: 64,
});
const mgr = noPool.manager;
const engine = mgr.binaries.engine;
const post = async (url: string, path: string, body?: unknown, method = "POST") => {
  const res = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  // biome-ignore lint/suspicious/noExplicitAny: bench reads a few known fields.
  const json: any = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
};

try {
  // 1. A pagila-sized cluster.
  const src = await post(noPool.url, "/v1/instances", { from: { base: { engine } } });
  const srcInst = mgr.get(src.instance_id).instance;
  const load = await timed(() => loadPagila(srcInst.socketDir, src.connection.password));
  log(`pagila loaded in ${fmt(load.ms)} ms`);

  // 2. Snapshot (each round stops, packs, publishes, restarts in the background).
  const snapMs: number[] = [];
  const snapServerMs: number[] = [];
  const usableAgainMs: number[] = [];
  let layerId = "";
  let layerBytes = 0;
  for (let i = 0; i < Math.min(ROUNDS, 10); i++) {
    // As a job snapshots: answered once the server is starting again, written in the background.
    const s = await timed(() =>
      post(noPool.url, `/v1/instances/${src.instance_id}/snapshot`, { background: true }),
    );
    snapMs.push(s.ms);
    snapServerMs.push(s.value.ms);
    const again = await timed(() => srcInst.whenUsable());
    usableAgainMs.push(s.ms + again.ms);
    layerId = s.value.layer_id;
    layerBytes = s.value.size_bytes;
  }
  const w = await post(noPool.url, `/v1/layers/${layerId}/write?wait_ms=25000`, undefined, "GET");
  if (w.state !== "written") throw new Error(`layer ${layerId}: ${w.state}`);
  rows.push({ name: "snapshot (HTTP round trip)", samples: snapMs });
  rows.push({ name: "snapshot + server running again", samples: usableAgainMs });
  log(`layer ${layerId.slice(0, 12)}… ${(layerBytes / 1e6).toFixed(1)} MB`);

  // 3. Boot from the layer without the pool, and the first query through the proxy.
  const bootMs: number[] = [];
  const bootServerMs: number[] = [];
  const firstQueryMs: number[] = [];
  const phaseMs = { unpack: [] as number[], start: [] as number[], password: [] as number[] };
  for (let i = 0; i < ROUNDS; i++) {
    const b = await timed(() => post(noPool.url, "/v1/instances", { from: { layer_id: layerId } }));
    if (b.value.boot.source !== "layer")
      throw new Error(`expected a layer boot, got ${b.value.boot.source}`);
    bootMs.push(b.ms);
    bootServerMs.push(b.value.boot.ms);
    const phases = mgr.get(b.value.instance_id).instance.bootPhases;
    phaseMs.unpack.push(phases.unpack);
    phaseMs.start.push(phases.start);
    phaseMs.password.push(phases.password);
    const q = await timed(async () => {
      const c = await connectViaProxy(b.value.connection);
      await c.query("SELECT count(*) FROM rental");
      await c.end();
    });
    firstQueryMs.push(q.ms);
    await post(noPool.url, `/v1/instances/${b.value.instance_id}`, undefined, "DELETE");
  }
  rows.push({ name: "boot from layer, no pool (HTTP round trip)", samples: bootMs });
  rows.push({ name: "  of which server-side boot", samples: bootServerMs });
  rows.push({ name: "first query after boot (connect via proxy + SELECT)", samples: firstQueryMs });

  rows.push({ name: "  phase: materialize the manifest onto tmpfs", samples: phaseMs.unpack });
  rows.push({ name: "  phase: start postgres until ready", samples: phaseMs.start });
  rows.push({ name: "  phase: set the instance's password", samples: phaseMs.password });

  // 3b. The same snapshot and boot with format 1 (one tar per layer, the format before format 2),
  // in this run: an env-manager writing tar layers on the same data root, its instance booted
  // from the format-2 pagila layer.
  const tarMgr = await startEnvManager({
    dataDir,
    workDir: `/dev/shm/platform-bench-c-${process.pid}`,
    token: TOKEN,
    pool: NO_POOL,
    layerFormat: 1,
  });
  try {
    const t = await post(tarMgr.url, "/v1/instances", { from: { layer_id: layerId } });
    const tInst = tarMgr.manager.get(t.instance_id).instance;
    const tarSnap: number[] = [];
    let tarLayer = "";
    for (let i = 0; i < Math.min(ROUNDS, 10); i++) {
      const s = await timed(() => post(tarMgr.url, `/v1/instances/${t.instance_id}/snapshot`));
      const again = await timed(() => tInst.whenUsable());
      tarSnap.push(s.ms + again.ms);
      tarLayer = s.value.layer_id;
      tarBytes = s.value.size_bytes;
    }
    rows.push({ name: "format 1 (tar): snapshot + server running again", samples: tarSnap });
    const tarBoot: number[] = [];
    const tarUnpack: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const b = await post(tarMgr.url, "/v1/instances", { from: { layer_id: tarLayer } });
      tarBoot.push(b.boot.ms);
      tarUnpack.push(tarMgr.manager.get(b.instance_id).instance.bootPhases.unpack);
      await post(tarMgr.url, `/v1/instances/${b.instance_id}`, undefined, "DELETE");
    }
    rows.push({ name: "format 1 (tar): server-side boot from layer, no pool", samples: tarBoot });
    rows.push({ name: "format 1 (tar):   phase: unpack data.tar onto tmpfs", samples: tarUnpack });
  } finally {
    await tarMgr.close();
  }

  // 4. Warm pool: a second env-manager on the same data root, with a pool.
  const pooled = await startEnvManager({
    dataDir,
    workDir: `/dev/shm/platform-bench-b-${process.pid}`,
    token: TOKEN,
    pool: { ...NO_POOL, perSource: 1, recentSources: 2, maxTotal: 2, memoryBudgetBytes: 1 << 30 },
  });
  const warm = await post(pooled.url, "/v1/instances", { from: { layer_id: layerId } });
  await post(pooled.url, `/v1/instances/${warm.instance_id}`, undefined, "DELETE");
  const poolMs: number[] = [];
  const poolServerMs: number[] = [];
  const poolFirstQueryMs: number[] = [];
  let pss = 0;
  for (let i = 0; i < ROUNDS; i++) {
    await pooled.manager.pool.settled();
    if (i === 0) pss = await pooledPss(pooled.manager.pool.peek().map((p) => p.pid ?? 0));
    const a = await timed(() => post(pooled.url, "/v1/instances", { from: { layer_id: layerId } }));
    if (a.value.boot.source !== "pool")
      throw new Error(`expected a pooled boot, got ${a.value.boot.source}`);
    poolMs.push(a.ms);
    poolServerMs.push(a.value.boot.ms);
    const q = await timed(async () => {
      const c = await connectViaProxy(a.value.connection);
      await c.query("SELECT count(*) FROM rental");
      await c.end();
    });
    poolFirstQueryMs.push(q.ms);
    await post(pooled.url, `/v1/instances/${a.value.instance_id}`, undefined, "DELETE");
  }
  rows.push({ name: "acquire from warm pool (HTTP round trip)", samples: poolMs });
  rows.push({ name: "  of which server-side", samples: poolServerMs });
  rows.push({ name: "first query after pooled acquire", samples: poolFirstQueryMs });
  await pooled.close();

  // 5. Baseline: CREATE DATABASE ... TEMPLATE on the pagila server itself.
  const admin = await connectDirect(srcInst.socketDir, {
    ...src.connection,
    database: "template1",
  });
  for (const strategy of ["wal_log", "file_copy"] as const) {
    const samples: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const name = `copy_${strategy}_${i}`;
      samples.push(
        (
          await timed(() =>
            admin.query(`CREATE DATABASE ${name} TEMPLATE postgres STRATEGY ${strategy}`),
          )
        ).ms,
      );
      await admin.query(`DROP DATABASE ${name}`);
    }
    rows.push({ name: `baseline: CREATE DATABASE TEMPLATE, STRATEGY ${strategy}`, samples });
  }
  await admin.end();

  printTable(load.ms, layerBytes, pss, tarBytes);
} finally {
  await noPool.close();
  await rm(dataDir, { recursive: true, force: true });
}

/** Proportional set size (KiB -> bytes) of a pooled server: postmaster and its children. */
async function pooledPss(pids: number[]): Promise<number> {
  const pid = pids[0];
  if (!pid) return 0;
  const children = (await readFile(`/proc/${pid}/task/${pid}/children`, "utf8").catch(() => ""))
    .split(/\s+/)
    .filter(Boolean);
  let kib = 0;
  for (const p of [String(pid), ...children]) {
    const text = await readFile(`/proc/${p}/smaps_rollup`, "utf8").catch(() => "");
    kib += Number(/^Pss:\s+(\d+)/m.exec(text)?.[1] ?? 0);
  }
  return kib * 1024;
}

function printTable(loadMs: number, layerBytes: number, pss: number, tarBytes: number) {
  const wal = rows.find((r) => r.name.includes("wal_log"));
  const base = wal ? median(wal.samples) : Number.NaN;
  console.log(`| operation | p50 ms | p90 ms | vs CREATE DATABASE wal_log (p50) |`);
  console.log(`|---|---:|---:|---:|`);
  for (const r of rows) {
    const p50 = median(r.samples);
    console.log(
      `| ${r.name} | ${fmt(p50)} | ${fmt(percentile(r.samples, 90))} | ${(p50 / base).toFixed(2)}x |`,
    );
  }
  console.log("");
  console.log(
    `${ROUNDS} rounds (snapshot: ${Math.min(ROUNDS, 10)}); pagila load ${fmt(loadMs)} ms; layer ${(layerBytes / 1e6).toFixed(1)} MB logical, format-1 data.tar ${(tarBytes / 1e6).toFixed(1)} MB; idle pooled instance PSS ${(pss / 1e6).toFixed(1)} MB.`,
  );
}
