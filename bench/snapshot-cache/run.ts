// `npm run bench:snapshot-cache`: latency of the snapshot-cache service over loopback HTTP with a
// populated index. Measures, in one run: a chain lookup of N prefix hashes in one call, against the
// baseline of N single-hash GETs (what a client without chain lookup would do) and against the raw
// index query in-process; a publish; and a GC pass that finds nothing to delete. Prints medians.
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { IndexStore } from "../../infra/local-dev/snapshot-cache/index-store.ts";
import {
  hashOf,
  makeDataDir,
  publishBody,
  startTestCache,
  writeLayer,
} from "../../infra/local-dev/snapshot-cache/test-harness.ts";

const LAYERS = Number(process.env.BENCH_LAYERS ?? 5000);
const CHAIN = Number(process.env.BENCH_CHAIN ?? 50);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 200);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

async function time(
  rounds: number,
  fn: (i: number) => Promise<unknown> | unknown,
): Promise<number> {
  const out: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    await fn(i);
    out.push(performance.now() - t0);
  }
  return median(out);
}

const dir = await makeDataDir();
try {
  console.log(`populating ${LAYERS} layers…`);
  for (let i = 0; i < LAYERS; i += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, LAYERS - i) }, (_, k) =>
        writeLayer(dir, `layer-${i + k}`, { bytes: 1024 }),
      ),
    );
  }
  for (let i = 0; i < ROUNDS; i++) await writeLayer(dir, `new-${i}`);

  const cache = await startTestCache(dir, { byteBudget: Number.MAX_SAFE_INTEGER });
  for (let i = 0; i < LAYERS; i++) {
    const res = await cache.call("POST", "/v1/layers", publishBody(`t${i}`, `layer-${i}`));
    if (res.status !== 201) throw new Error(`seed publish ${i}: ${res.status}`);
  }

  // A chain whose longest cached prefix is its middle step: the realistic warm-hit shape.
  const chain = (r: number) =>
    Array.from({ length: CHAIN }, (_, k) =>
      k <= CHAIN / 2 ? hashOf(`t${(r * CHAIN + k) % LAYERS}`) : hashOf(`miss-${r}-${k}`),
    );

  const oneCall = await time(ROUNDS, async (r) => {
    const res = await cache.call("POST", "/v1/lookup", { hashes: chain(r) });
    if (res.status !== 200) throw new Error(`lookup ${res.status}`);
  });
  const perHash = await time(ROUNDS, async (r) => {
    const hashes = chain(r);
    for (let k = hashes.length - 1; k >= 0; k--) {
      const res = await cache.call("GET", `/v1/layers/by-hash/${hashes[k]}`);
      if (res.status === 200) break;
    }
  });
  const publish = await time(ROUNDS, async (r) => {
    const res = await cache.call("POST", "/v1/layers", publishBody(`new${r}`, `new-${r}`));
    if (res.status !== 201) throw new Error(`publish ${res.status}`);
  });
  const gc = await time(Math.min(ROUNDS, 50), async () => {
    const res = await cache.call("POST", "/v1/gc");
    if (res.status !== 200) throw new Error(`gc ${res.status}`);
  });
  await cache.handle.close();

  const store = new IndexStore(join(dir, "snapshot-cache", "index.sqlite"));
  const raw = await time(ROUNDS, (r) => store.findHashes(chain(r)));
  store.close();

  const f = (ms: number) => ms.toFixed(3);
  console.log(
    `\nsnapshot-cache, ${LAYERS + ROUNDS} layers indexed, chains of ${CHAIN}, ${ROUNDS} rounds (medians)\n`,
  );
  console.log("| operation | median ms | vs chain lookup |");
  console.log("|---|---|---|");
  console.log(`| POST /v1/lookup, ${CHAIN} hashes in one call | ${f(oneCall)} | 1.00x |`);
  console.log(
    `| baseline: GET by-hash from the tail back to the hit (${Math.ceil(CHAIN / 2)} calls) | ${f(perHash)} | ${(perHash / oneCall).toFixed(2)}x |`,
  );
  console.log(
    `| index query alone, in-process (no HTTP) | ${f(raw)} | ${(raw / oneCall).toFixed(2)}x |`,
  );
  console.log(
    `| POST /v1/layers (publish, created) | ${f(publish)} | ${(publish / oneCall).toFixed(2)}x |`,
  );
  console.log(`| POST /v1/gc, nothing to delete | ${f(gc)} | ${(gc / oneCall).toFixed(2)}x |`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
