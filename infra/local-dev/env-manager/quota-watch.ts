// The data-directory quota of running instances. PostgreSQL has no per-cluster disk quota (only
// temp_file_limit, set in settings.ts), and a size-limited tmpfs per instance needs root; so a
// watchdog measures each ready instance's data directory every `watchIntervalMs` and, past its
// quota, terminates the user's sessions and marks the instance: GET /v1/instances/:id then
// answers `quota_exceeded` naming the limit (the Worker fails the job with that code) and a
// snapshot is refused. The overshoot is bounded by what one interval can write; a snapshot
// measures for itself (refuseOverQuota, or format 2's walk), so no layer is over the quota.
import type { Dirent } from "node:fs";
import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";
import { EnvError } from "./errors.ts";

export interface QuotaExceeded {
  limit: "max_data_bytes";
  max_bytes: number;
  used_bytes: number;
}

/** Bytes of the regular files under `dir` (files that vanish while it walks count as 0). */
export async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  await Promise.all(
    entries.map(async (e) => {
      const path = join(dir, e.name);
      // Await first, then add: `total += await x` reads `total` before the await (lost updates).
      let n = 0;
      if (e.isDirectory()) n = await dirBytes(path);
      else if (e.isFile())
        n = await lstat(path).then(
          (s) => s.size,
          () => 0,
        );
      total += n;
    }),
  );
  return total;
}

/** What the watchdog needs of one instance. */
export interface Watched {
  dataDir: string;
  maxDataBytes: number;
  /** Usable right now (not booting, snapshotting or dead). */
  ready(): boolean;
  exceeded: QuotaExceeded | null;
  /** Ends every user session (the admin keeps its own). */
  terminateUserSessions(): Promise<unknown>;
}

export class QuotaWatch {
  readonly #timer: NodeJS.Timeout;
  #busy = false;

  constructor(list: () => Iterable<Watched>, intervalMs: number) {
    this.#timer = setInterval(() => void this.#tick(list), intervalMs);
    this.#timer.unref();
  }

  async #tick(list: () => Iterable<Watched>): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      for (const w of list()) {
        if (w.exceeded || !w.ready()) continue;
        await checkQuota(w);
      }
    } finally {
      this.#busy = false;
    }
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

/** Measures `w` once; past its quota marks it and ends its user sessions. */
export async function checkQuota(w: Watched): Promise<QuotaExceeded | null> {
  const used = await dirBytes(w.dataDir);
  if (used <= w.maxDataBytes) return null;
  markExceeded(w, used);
  await w.terminateUserSessions().catch(() => {});
  return w.exceeded;
}

/** Marks `w` past its data quota at `usedBytes` (GET /v1/instances/:id then names it). */
export function markExceeded(
  w: Pick<Watched, "exceeded" | "maxDataBytes">,
  usedBytes: number,
): void {
  w.exceeded = { limit: "max_data_bytes", max_bytes: w.maxDataBytes, used_bytes: usedBytes };
}

/** The 409 a snapshot of an instance past its quota answers. */
export function quotaExceededError(w: Pick<Watched, "exceeded">): EnvError {
  const q = w.exceeded as QuotaExceeded;
  return new EnvError(
    409,
    "quota_exceeded",
    `the instance exceeded ${q.limit} (${q.used_bytes} of ${q.max_bytes} bytes)`,
  );
}

/**
 * Before a snapshot: an instance past its quota is not published (409 `quota_exceeded`), nor a
 * data directory over the layer size cap (413 `layer_too_large`), so no job publishes a layer
 * bigger than `maxLayerBytes`. The data directory is measured here, not only by the watchdog: a
 * step that writes past the quota between two of its ticks would otherwise become a layer.
 */
export async function refuseOverQuota(
  w: Pick<Watched, "dataDir" | "exceeded" | "maxDataBytes">,
  /** null: the caller measures the data directory itself (a format-2 snapshot's walk). */
  maxLayerBytes: number | null,
): Promise<void> {
  if (w.exceeded) throw quotaExceededError(w);
  if (maxLayerBytes === null) return;
  const used = await dirBytes(w.dataDir);
  if (used > w.maxDataBytes) {
    markExceeded(w, used);
    throw quotaExceededError(w);
  }
  if (used > maxLayerBytes) {
    throw new EnvError(
      413,
      "layer_too_large",
      `the data directory is ${used} bytes, more than max_layer_bytes (${maxLayerBytes})`,
    );
  }
}
