// A format-2 snapshot with the server online: CHECKPOINT, freeze every process of the cluster
// (SIGSTOP), copy the changed files to tmpfs, thaw (SIGCONT). The job's session and its server
// keep running; the copy is a crash image that boots through crash recovery.
//
// Why the image is sound:
// - Once each process is reported stopped, none can be inside a write(): a stop signal takes effect
//   only on the way back to user space, and a write to tmpfs is not cut short by it. With every
//   process frozen, the files are exactly what a crash at that instant would leave (better: no
//   torn pages, and page-cache contents count, so fsync = off loses nothing).
// - PostgreSQL recovers such an image from WAL, as after a kill -9 of the whole cluster: it replays
//   from the last checkpoint's redo point. Everything the job committed is in WAL files at that
//   point: the CHECKPOINT flushes all WAL written before it (synchronous_commit = off only delays
//   that flush) and all dirty pages (wal_level = minimal skips WAL for some new relations, whose
//   pages the checkpoint writes instead). The checkpoint also keeps the replay at boot short.
// - What recovery does not keep: unlogged relations are reset to empty, and a temporary table's
//   catalog rows would survive as orphans of a session that is not in the image. A cluster with
//   either (seen by their files, `_init` forks and `t<backend>_<node>`, in every database, while
//   frozen so nothing can appear meanwhile) is snapshotted by the clean stop instead.
import { readdirSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { withAdmin } from "../postgres/admin.ts";
import { withFrozen } from "../postgres/freeze.ts";
import { recycledSegmentsSync } from "../postgres/wal.ts";

export interface OnlineTarget {
  /** The running postmaster. */
  pid: number;
  dataDir: string;
  socketDir: string;
  adminPassword: string;
}

/** What the copy may use while the cluster is frozen. */
export interface FrozenView {
  dataDir: string;
  /** Recycled WAL segments (`pg_wal/<name>`), not worth copying. */
  skip: ReadonlySet<string>;
  /** The file-system clock at the freeze (capture.ts: files written at or after it are "racy"). */
  racyFromNs: bigint;
}

export type OnlineCopy<T> =
  | { online: true; value: T; frozenMs: number }
  | { online: false; reason: string };

/** ENV_MANAGER_ONLINE_SNAPSHOTS=0 turns online snapshots off (every snapshot stops the server). */
export function onlineSnapshotsDefault(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.ENV_MANAGER_ONLINE_SNAPSHOTS !== "0";
}

/** Why crash recovery would not give back this cluster as it is, or null when it would. */
export function cleanStopReason(dataDir: string): string | null {
  const base = join(dataDir, "base");
  for (const db of readdirSync(base)) {
    for (const name of readdirSync(join(base, db))) {
      if (name.endsWith("_init")) return `unlogged relation (base/${db}/${name})`;
      if (/^t\d+_\d+/.test(name)) return `temporary relation (base/${db}/${name})`;
    }
  }
  return null;
}

/** The file-system clock now: the mtime of a file written now, next to the data directory. */
function fsClockNs(dataDir: string): bigint {
  const probe = join(dirname(dataDir), ".freeze-clock");
  writeFileSync(probe, "");
  return statSync(probe, { bigint: true }).mtimeNs;
}

/**
 * Runs the synchronous `copy` on the frozen cluster, or answers why it should be stopped instead.
 * The frozen window is `copy` plus a few directory listings: no await happens inside it.
 */
export async function copyOnline<T>(
  target: OnlineTarget,
  copy: (view: FrozenView) => T,
): Promise<OnlineCopy<T>> {
  await withAdmin(target.socketDir, target.adminPassword, (c) => c.query("CHECKPOINT"));
  const t0 = performance.now();
  const got = withFrozen(target.pid, (): { value: T } | { reason: string } => {
    const reason = cleanStopReason(target.dataDir);
    if (reason) return { reason };
    const skip = new Set(recycledSegmentsSync(target.dataDir).map((n) => `pg_wal/${n}`));
    const racyFromNs = fsClockNs(target.dataDir);
    return { value: copy({ dataDir: target.dataDir, skip, racyFromNs }) };
  });
  if ("reason" in got) return { online: false, reason: got.reason };
  return { online: true, value: got.value, frozenMs: performance.now() - t0 };
}
