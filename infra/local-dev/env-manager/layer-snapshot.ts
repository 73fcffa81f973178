// A snapshot in either layer format. Format 2: stage the files that changed since the boot or the
// last snapshot on tmpfs, with the server frozen for the copy (online-snapshot.ts) or, when that is
// off or the cluster needs it, stopped and started again; hash the staged files (that gives the
// layer id), then write chunks and manifest in the background (or wait for that write:
// `background` not set, or the staging budget used up). Format 1: stop, pack one tar, answer, and
// restart the server in the background.
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { SnapshotResponse } from "../../../src/clients/contracts/env-manager.ts";
import {
  type Capture,
  type CaptureOptions,
  CaptureTooLargeError,
  captureSync,
  hashCapture,
} from "../layers/capture.ts";
import type { ChunkStore } from "../layers/chunk-store.ts";
import { logicalBytes } from "../layers/manifest.ts";
import { EnvError } from "./errors.ts";
import type { Instance, SnapshotWay } from "./instance.ts";
import type { LayerStore, WrittenLayer } from "./layer-store.ts";
import { markExceeded, quotaExceededError } from "./quota-watch.ts";

export interface SnapshotDeps {
  layers: LayerStore;
  format: 1 | 2;
  stagingBudgetBytes: number;
  workDir: string;
  /** A data directory over this many bytes is not snapshotted (413 layer_too_large). */
  maxLayerBytes: number;
  /** Format 2: copy with the server frozen instead of stopped where the cluster allows it. */
  online: boolean;
  /** Maps instance failures to the contract's errors. */
  guard<T>(fn: () => Promise<T>): Promise<T>;
}

/** The answer, and a promise that settles when the layer is in storage (bootable). */
export interface TakenSnapshot {
  response: SnapshotResponse;
  stored: Promise<void>;
  way: SnapshotWay;
}

export async function takeSnapshot(
  d: SnapshotDeps,
  instance: Instance,
  opts: { background?: boolean },
): Promise<TakenSnapshot> {
  const t0 = performance.now();
  const info = {
    engine: instance.source.engine,
    settingsDigest: instance.source.settingsDigest,
    adminPassword: instance.adminPassword,
  };
  let written: WrittenLayer | null;
  let stored: Promise<void> = Promise.resolve();
  let layerId: string;
  let sizeBytes: number;
  let way: SnapshotWay = { online: false, reason: "format 1" };
  if (d.format === 1) {
    const tar = await d.guard(() => instance.snapshot((dataDir) => d.layers.write(dataDir, info)));
    written = tar;
    layerId = tar.layerId;
    sizeBytes = tar.sizeBytes;
  } else {
    const staging = join(d.workDir, `stage-${randomBytes(6).toString("hex")}`);
    // An instance booted from a base image names the base's chunks: the first layer copies them.
    const from = instance.fileIndex?.store;
    const fallback: ChunkStore | null = from && from !== d.layers.chunks ? from : null;
    const hash = async (cap: Capture) => {
      const hashed = await hashCapture(cap, d.layers.chunks.compression);
      instance.fileIndex = { store: d.layers.chunks, files: hashed.files };
      return { hashed, cap };
    };
    // The walk stops at the tighter of the layer cap and the instance's data quota (the watchdog
    // may not have measured since the last statement: quota-watch.ts).
    const quotaFirst = instance.maxDataBytes < d.maxLayerBytes;
    const capture = (dataDir: string, o: CaptureOptions) => {
      try {
        return captureSync(dataDir, staging, instance.fileIndex, {
          ...o,
          maxBytes: quotaFirst ? instance.maxDataBytes : d.maxLayerBytes,
        });
      } catch (err) {
        if (!(err instanceof CaptureTooLargeError)) throw err;
        if (quotaFirst) {
          markExceeded(instance, err.walkedBytes);
          throw quotaExceededError(instance);
        }
        throw new EnvError(
          413,
          "layer_too_large",
          `the data directory is more than max_layer_bytes (${d.maxLayerBytes} bytes)`,
        );
      }
    };
    // A failed online try may have staged part of the copy: the stopped copy starts afresh.
    const copyStopped = async (dataDir: string) => {
      rmSync(staging, { recursive: true, force: true });
      return capture(dataDir, {});
    };
    const taken = await d
      .guard(async () => {
        if (!d.online) {
          const value = await instance.snapshot(copyStopped, hash);
          return { value, way: { online: false, reason: "online snapshots are off" } as const };
        }
        return instance.snapshotPreferOnline(
          (view) => capture(view.dataDir, { skip: view.skip, racyFromNs: view.racyFromNs }),
          copyStopped,
          hash,
        );
      })
      .catch(async (err: unknown) => {
        await rm(staging, { recursive: true, force: true });
        throw err;
      });
    const { hashed, cap } = taken.value;
    way = taken.way;
    const write = d.layers.enqueue(cap, hashed, info, fallback);
    layerId = hashed.layerId;
    sizeBytes = logicalBytes(hashed.manifest);
    // Staging copies live on tmpfs (memory): past the budget a snapshot waits for its own write.
    if (opts.background && d.layers.stagedBytes <= d.stagingBudgetBytes) {
      written = null;
      stored = write.then(() => {});
    } else {
      written = await write.catch((err: Error) => {
        throw new EnvError(503, "layer_write_failed", `layer ${layerId}: ${err.message}`, 1);
      });
    }
  }
  const response: SnapshotResponse = {
    layer_id: layerId,
    size_bytes: sizeBytes,
    new_bytes: written ? written.newBytes : null,
    written: written !== null,
    format: d.format,
    engine: instance.source.engine,
    settings_digest: instance.source.settingsDigest,
    ms: performance.now() - t0,
  };
  return { response, stored, way };
}
