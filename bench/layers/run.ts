// `npm run bench:layers`: layer format 2 (manifest + deduplicated zstd chunks, written in the
// background) against format 1 (one tar per layer, today's format until this change), side by side
// in one run: two env-managers on their own data roots sharing one base image.
//   - new bytes stored by a layer whose step inserted 5 rows into a small table
//   - pagila's layer stored, against its data directory
//   - 45 small distinct projects: layer storage on disk
//   - snapshot until the server runs again (the job's wait), pagila, and after a small change
//   - boot from a layer not in the pool (format 2 with the chunk cache warm and cold)
//   - the chunk size: new raw bytes of the 5-row layer at 16-256 KiB chunks
// Prints markdown tables for docs/benchmarks.md. BENCH_PAGILA_ROUNDS, BENCH_BOOT_ROUNDS and
// BENCH_PROJECTS shrink or grow the run; BENCH_LAYERS_SECTIONS (comma-separated, of small, pagila,
// boot, projects, chunks; boot needs pagila, chunks needs small) runs only some sections.
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { ChunkCache } from "../../infra/local-dev/layers/chunk-cache.ts";
import { materialize } from "../../infra/local-dev/layers/materialize.ts";
import { loadPagila } from "../platform/pagila.ts";
import { fmt, median, percentile } from "../platform/stats.ts";
import { compareChunkSizes } from "./chunk-sizes.ts";
import { type Bench, duBytes, startBench } from "./harness.ts";

const PAGILA_ROUNDS = Number(process.env.BENCH_PAGILA_ROUNDS ?? 3);
const BOOT_ROUNDS = Number(process.env.BENCH_BOOT_ROUNDS ?? 8);
const SMALL_ROUNDS = Number(process.env.BENCH_SMALL_ROUNDS ?? 10);
const PROJECTS = Number(process.env.BENCH_PROJECTS ?? 45);
const SECTIONS = new Set(
  (process.env.BENCH_LAYERS_SECTIONS ?? "small,pagila,boot,projects,chunks").split(","),
);
const log = (line: string) => console.error(line);
const loads: number[] = [];
const sampleLoad = () => loads.push(loadavg()[0] ?? 0);

const basesDir = await mkdtemp(join(tmpdir(), "layers-bench-bases-"));
const f1 = await startBench(1, basesDir);
const f2 = await startBench(2, basesDir);
const results: Record<string, Record<1 | 2, number | string>> = {};
const put = (name: string, format: 1 | 2, value: number | string) => {
  results[name] ??= { 1: "", 2: "" };
  results[name][format] = value;
};

try {
  // 1. Five rows into a small table: the second of two layers.
  let fiveRowLayers: string[] = [];
  for (const b of SECTIONS.has("small") ? [f1, f2] : []) {
    const inst = await b.create();
    await b.sql(inst, "CREATE TABLE small (id int PRIMARY KEY, name text)");
    const first = await b.snapshotWritten(inst);
    await b.sql(inst, "INSERT INTO small SELECT g, 'row ' || g FROM generate_series(1, 5) g");
    const second = await b.snapshotWritten(inst);
    put("new bytes stored, layer of a 5-row INSERT", b.format, second.newBytes);
    if (b.format === 2) fiveRowLayers = [first.layerId, second.layerId];
    await b.destroy(inst);
    log(`format ${b.format}: 5-row layer added ${second.newBytes} bytes`);
  }

  // 2. pagila: load, snapshot (the job's wait), then small changes.
  const pagilaLayer: Record<1 | 2, string> = { 1: "", 2: "" };
  for (const b of SECTIONS.has("pagila") ? [f1, f2] : []) {
    const waits: number[] = [];
    let logical = 0;
    let newBytes = 0;
    let standalone = 0;
    for (let round = 0; round < PAGILA_ROUNDS; round++) {
      const inst = await b.create();
      await loadPagila(inst.socketDir, inst.password);
      const snap = await b.snapshotTimed(inst);
      waits.push(snap.waitMs);
      const written = await b.written(snap.layerId, snap);
      pagilaLayer[b.format] = snap.layerId;
      logical = snap.sizeBytes;
      if (round === 0) newBytes = written;
      standalone = b.format === 2 ? await b.standaloneBytes(snap.layerId) : written;
      if (round < PAGILA_ROUNDS - 1) await b.destroy(inst);
      else {
        const small: number[] = [];
        for (let i = 1; i <= SMALL_ROUNDS; i++) {
          await b.sql(
            inst,
            `UPDATE film SET rental_rate = rental_rate + 0.01 WHERE film_id = ${i}`,
          );
          const s = await b.snapshotTimed(inst);
          small.push(s.waitMs);
          sampleLoad();
          await b.written(s.layerId, s);
        }
        put(
          "snapshot until the server runs again, after an UPDATE of 1 row, p50 ms",
          b.format,
          fmt(median(small)),
        );
        await b.destroy(inst);
      }
      log(`format ${b.format}: pagila round ${round + 1}: wait ${fmt(snap.waitMs)} ms`);
    }
    put("pagila data directory (logical bytes)", b.format, logical);
    put("pagila layer stored: bytes it added (first load)", b.format, newBytes);
    put("pagila layer stored: all its chunks, compressed", b.format, standalone);
    put(
      "snapshot until the server runs again, pagila just loaded, p50 ms",
      b.format,
      fmt(median(waits)),
    );
    put(
      "snapshot until the server runs again, pagila just loaded, p90 ms",
      b.format,
      fmt(percentile(waits, 90)),
    );
  }

  // 3. Boot from the pagila layer without the pool: tar, format 2 with the chunk cache warm, and
  // cold, in turn within each round, so a change of load in the shared machine hits all three.
  const boots: Record<string, { total: number[]; unpack: number[] }> = {};
  const modes = [
    { b: f1, mode: "tar" },
    { b: f2, mode: "warm" },
    { b: f2, mode: "cold" },
  ] as const;
  for (let i = 0; SECTIONS.has("boot") && i < BOOT_ROUNDS; i++) {
    for (const { b, mode } of modes) {
      if (mode === "cold") b.handle.manager.layers.cache.clear();
      const inst = await b.create({ layer_id: pagilaLayer[b.format] });
      boots[mode] ??= { total: [], unpack: [] };
      const m = boots[mode];
      m.total.push(inst.bootMs);
      m.unpack.push(inst.unpackMs);
      sampleLoad();
      await b.destroy(inst);
    }
  }
  for (const { b, mode } of SECTIONS.has("boot") ? modes : []) {
    const m = boots[mode];
    if (!m) continue;
    // tar and format 2 with a warm cache share a row (their ratio); the cold boot has its own.
    const label =
      mode === "cold" ? " (format 2: chunk cache cold)" : " (format 2: chunk cache warm)";
    put(`boot from the pagila layer, no pool, p50 ms${label}`, b.format, fmt(median(m.total)));
    put(`  of which unpack / materialize, p50 ms${label}`, b.format, fmt(median(m.unpack)));
  }

  // 4. Many small distinct projects: one layer each (CREATE TABLE + INSERT), storage on disk.
  for (const b of SECTIONS.has("projects") ? [f1, f2] : []) {
    const pending: Promise<unknown>[] = [];
    for (let p = 1; p <= PROJECTS; p++) {
      const inst = await b.create();
      await b.sql(
        inst,
        `CREATE TABLE project_${p} (id int PRIMARY KEY, v text);
         INSERT INTO project_${p} SELECT g, md5('${p}:' || g) FROM generate_series(1, 20) g`,
      );
      const snap = await b.snapshotTimed(inst);
      pending.push(b.written(snap.layerId, snap));
      await b.destroy(inst);
    }
    await Promise.all(pending);
    const bytes =
      (await duBytes(join(b.dataDir, "layers"))) + (await duBytes(join(b.dataDir, "chunks")));
    put(
      `${PROJECTS} small distinct projects: layer storage on disk (with section 1-2 layers)`,
      b.format,
      bytes,
    );
  }

  // 5. Chunk sizes, from the two format-2 layers of section 1 materialized side by side.
  const dirs: string[] = [];
  for (const id of SECTIONS.has("chunks") ? fiveRowLayers : []) {
    const opened = await f2.handle.manager.layers.open(id);
    if (!opened?.image.manifest || !opened.image.store) throw new Error(`layer ${id} unreadable`);
    const dir = await mkdtemp(join("/dev/shm", "layers-bench-chunks-"));
    dirs.push(dir);
    await materialize(opened.image.manifest, dir, opened.image.store, new ChunkCache(1 << 30));
  }
  const sizes =
    dirs.length < 2
      ? []
      : compareChunkSizes(
          dirs[0] ?? "",
          dirs[1] ?? "",
          [16, 32, 64, 128, 256].map((k) => k * 1024),
        );
  for (const d of dirs) await rm(d, { recursive: true, force: true });

  console.log("| measure | format 1 (tar) | format 2 (chunks) | format 2 / format 1 |");
  console.log("|---|---:|---:|---:|");
  for (const [name, v] of Object.entries(results)) {
    const a = Number(v[1]);
    const c = Number(v[2]);
    const ratio = Number.isFinite(a) && Number.isFinite(c) && a > 0 ? `${(c / a).toFixed(3)}x` : "";
    console.log(`| ${name} | ${show(v[1])} | ${show(v[2])} | ${ratio} |`);
  }
  console.log("");
  console.log("| chunk size | new raw bytes, 5-row layer | chunk references in its manifest |");
  console.log("|---:|---:|---:|");
  for (const r of sizes) console.log(`| ${r.size / 1024} KiB | ${r.newRawBytes} | ${r.refs} |`);
  console.log("");
  console.log(
    `pagila rounds ${PAGILA_ROUNDS}, small-change rounds ${SMALL_ROUNDS}, boot rounds ${BOOT_ROUNDS}, projects ${PROJECTS}; sections ${[...SECTIONS].join(",")}.`,
  );
  const ls = [...loads].sort((a, b) => a - b);
  if (ls.length > 0)
    console.log(
      `1-min load average during the timed snapshots and boots: min ${ls[0]?.toFixed(1)}, median ${median(ls).toFixed(1)}, max ${ls.at(-1)?.toFixed(1)}.`,
    );
} finally {
  await f1.close();
  await f2.close();
  await rm(basesDir, { recursive: true, force: true });
}

function show(v: number | string): string {
  if (typeof v === "string") return v;
  return v >= 1e6
    ? `${(v / 1e6).toFixed(2)} MB`
    : v >= 1e3
      ? `${(v / 1e3).toFixed(1)} kB`
      : `${v} B`;
}

export type { Bench };
