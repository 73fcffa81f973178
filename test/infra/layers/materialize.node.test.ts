// Boot from a format-2 layer with the chunk cache cold: chunks are read and decoded ahead of the
// writes in bounded batches. Whatever the batch size and the cache budget, the data directory
// written is byte for byte the one captured, and each chunk is read from the store once.
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captureSync, type Hashed, hashCapture } from "../../../infra/local-dev/layers/capture.ts";
import { ChunkCache } from "../../../infra/local-dev/layers/chunk-cache.ts";
import { ChunkStore } from "../../../infra/local-dev/layers/chunk-store.ts";
import { CHUNK_SIZE } from "../../../infra/local-dev/layers/manifest.ts";
import { materialize } from "../../../infra/local-dev/layers/materialize.ts";
import { storeChunks } from "../../../infra/local-dev/layers/writer.ts";

let root: string;
let src: string;
let store: ChunkStore;
let hashed: Hashed;
const contents = new Map<string, Buffer>();

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "materialize-test-"));
  src = join(root, "src");
  mkdirSync(join(src, "base/1"), { recursive: true });
  // Files of 0 to 5 chunks, the last one partial; two files share their first chunk.
  const shared = randomBytes(CHUNK_SIZE);
  for (let i = 0; i < 12; i++) {
    const body = Buffer.concat([
      i < 2 ? shared : randomBytes(CHUNK_SIZE * (i % 4)),
      randomBytes(1000 * i),
    ]);
    const path = `base/1/${16384 + i}`;
    writeFileSync(join(src, path), body);
    contents.set(path, body);
  }
  writeFileSync(join(src, "PG_VERSION"), "18\n");
  contents.set("PG_VERSION", Buffer.from("18\n"));
  store = new ChunkStore(join(root, "chunks"));
  const cap = captureSync(src, join(root, "stage"), null);
  hashed = await hashCapture(cap, store.compression);
  await storeChunks(cap, hashed, store);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const distinct = () => new Set(hashed.manifest.files.flatMap((f) => f.chunks)).size;

async function bootInto(name: string, cache: ChunkCache, prefetchBytes?: number) {
  const dir = join(root, name);
  mkdirSync(dir);
  const index = await materialize(hashed.manifest, dir, store, cache, { prefetchBytes });
  for (const [path, body] of contents)
    expect(readFileSync(join(dir, path)).equals(body)).toBe(true);
  expect(index.files.size).toBe(contents.size);
  return index;
}

describe("materialize from a cold chunk cache", () => {
  it("batches of one chunk: every file byte-identical, each chunk read once", async () => {
    const cache = new ChunkCache(1 << 30);
    await bootInto("one-chunk-batches", cache, CHUNK_SIZE);
    expect(cache.misses).toBe(distinct());
    expect(cache.sizeBytes).toBeGreaterThan(0);
  });

  it("one batch for the whole layer: the same bytes", async () => {
    await bootInto("one-batch", new ChunkCache(1 << 30), 1 << 30);
  });

  it("a cache budget smaller than the layer: the same bytes, the cache stays within its budget", async () => {
    const cache = new ChunkCache(2 * CHUNK_SIZE);
    await bootInto("small-cache", cache, 3 * CHUNK_SIZE);
    expect(cache.sizeBytes).toBeLessThanOrEqual(2 * CHUNK_SIZE);
  });

  it("a warm cache: nothing is read from the store", async () => {
    const cache = new ChunkCache(1 << 30);
    await bootInto("warm-1", cache);
    const misses = cache.misses;
    await bootInto("warm-2", cache);
    expect(cache.misses).toBe(misses);
  });
});
