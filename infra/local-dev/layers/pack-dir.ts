// Packs a whole stopped data directory as format 2 in one go (no parent index, nothing off the
// critical path): used for base images and by the layer benchmark.
import { rm } from "node:fs/promises";
import { type Capture, captureSync, type Hashed, hashCapture } from "./capture.ts";
import type { ChunkStore } from "./chunk-store.ts";
import type { FileIndex } from "./file-index.ts";
import { type StoredChunks, storeChunks } from "./writer.ts";

export interface Packed {
  capture: Capture;
  hashed: Hashed;
  stored: StoredChunks;
}

/** Chunks `dataDir` into `store` (via a staging copy under `stagingDir`, removed afterwards). */
export async function packFormat2(
  dataDir: string,
  stagingDir: string,
  store: ChunkStore,
  index: FileIndex | null = null,
): Promise<Packed> {
  try {
    const capture = captureSync(dataDir, stagingDir, index);
    const hashed = await hashCapture(capture, store.compression);
    const stored = await storeChunks(capture, hashed, store, { fallback: index?.store ?? null });
    return { capture, hashed, stored };
  } finally {
    await rm(stagingDir, { recursive: true, force: true });
  }
}
