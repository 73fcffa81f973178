// One managed PostgreSQL cluster: its own directory on fast scratch space (tmpfs), unix socket and
// per-instance password. Boots from a packed image (base or layer), is frozen (online-snapshot.ts)
// or stopped cleanly for snapshots, restarts, cancels user queries, and notices when its postmaster
// dies.
import { randomBytes } from "node:crypto";
import { chmod, chown, mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { ChunkCache } from "../layers/chunk-cache.ts";
import type { FileIndex } from "../layers/file-index.ts";
import { materialize } from "../layers/materialize.ts";
import { setUserPassword, withAdmin } from "../postgres/admin.ts";
import type { Image } from "../postgres/base-image.ts";
import type { PgBinaries } from "../postgres/binaries.ts";
import type { RunAs } from "../postgres/os-user.ts";
import { unpackDataDir } from "../postgres/pack.ts";
import { prewarmSharedBuffers } from "../postgres/prewarm.ts";
import { type PgProcess, startPostgres } from "../postgres/process.ts";
import { ADMIN_ROLE, USER_ROLE } from "../postgres/settings.ts";
import { pruneRecycledWal } from "../postgres/wal.ts";
import { EnvError } from "./errors.ts";
import { copyOnline, type FrozenView } from "./online-snapshot.ts";
import type { QuotaExceeded } from "./quota-watch.ts";

export type InstanceStatus = "booting" | "ready" | "snapshotting" | "restarting" | "dead";

export interface InstanceSourceInfo {
  layerId: string | null;
  engine: string;
  settingsDigest: string;
}

/** Where a boot's time went, in ms (for the platform bench). */
export interface BootPhases {
  unpack: number;
  start: number;
  password: number;
  warm: number;
}

export interface InstanceDeps {
  binaries: PgBinaries;
  runAs: RunAs | null;
  /** Parent of instance directories (tmpfs when available). */
  workDir: string;
  /** Decompressed chunks for format-2 boots. */
  chunkCache: ChunkCache;
  /** Boot a base image from its tar (format 1) even when it also carries a manifest. */
  preferTar: boolean;
}

/** How a snapshot was taken: online (frozen for `frozenMs`), or by a clean stop and why. */
export type SnapshotWay = { online: true; frozenMs: number } | { online: false; reason: string };

export function newInstanceId(): string {
  return `i-${randomBytes(8).toString("hex")}`;
}

export class Instance {
  readonly id: string;
  readonly dir: string;
  readonly dataDir: string;
  readonly socketDir: string;
  readonly password: string;
  readonly adminPassword: string;
  readonly source: InstanceSourceInfo;
  status: InstanceStatus = "booting";
  readonly bootPhases: BootPhases = { unpack: 0, start: 0, password: 0, warm: 0 };
  /**
   * Sizes, mtimes and chunk lists of the data directory's files as of the format-2 boot or the last
   * snapshot (null after a tar boot): a snapshot copies and hashes only files that differ.
   */
  fileIndex: FileIndex | null = null;
  /** Settles when the current transition (boot, restart after snapshot) ends. */
  private transition: Promise<void> = Promise.resolve();
  private queue: Promise<void> = Promise.resolve();
  private proc: PgProcess | null = null;
  private expectingExit = false;
  private readonly deps: InstanceDeps;
  /** Data-directory quota in bytes (quota-watch.ts), set when the instance is handed out. */
  maxDataBytes = Number.POSITIVE_INFINITY;
  /** Set by the quota watchdog once the data directory grew past `maxDataBytes`. */
  exceeded: QuotaExceeded | null = null;
  /** Called once when the postmaster exits without being asked to. */
  onDeath: (instance: Instance) => void = () => {};

  constructor(deps: InstanceDeps, id: string, image: Image, source: InstanceSourceInfo) {
    this.deps = deps;
    this.id = id;
    this.dir = join(deps.workDir, id);
    this.dataDir = join(this.dir, "data");
    this.socketDir = join(this.dir, "run");
    this.password = randomBytes(18).toString("base64url");
    this.adminPassword = image.adminPassword;
    this.source = source;
  }

  get pid(): number | null {
    return this.proc?.isRunning() ? this.proc.pid : null;
  }

  /**
   * Unpacks `image`, starts the server and gives the user role this instance's own password.
   * Background boots (the pool) also read the user's small tables into shared buffers
   * (prewarm.ts), so the first real session finds warm caches; a foreground boot has a caller
   * waiting and leaves that to its first session.
   */
  async boot(image: Image, opts: { background?: boolean } = {}): Promise<void> {
    const run = async () => {
      const { runAs } = this.deps;
      let t = performance.now();
      const lap = (phase: keyof BootPhases) => {
        const now = performance.now();
        this.bootPhases[phase] = now - t;
        t = now;
      };
      await mkdir(this.socketDir, { recursive: true, mode: 0o700 });
      await mkdir(this.dataDir, { mode: 0o700 });
      const owner = runAs ? { uid: runAs.uid, gid: runAs.gid } : null;
      if (image.manifest && image.store && !(this.deps.preferTar && image.archive)) {
        this.fileIndex = await materialize(
          image.manifest,
          this.dataDir,
          image.store,
          this.deps.chunkCache,
          { owner, background: opts.background ?? false },
        );
      } else if (image.archive) {
        await unpackDataDir(image.archive, this.dataDir, opts);
      } else throw new Error(`image ${image.dir} has neither a manifest nor an archive`);
      await chmod(this.dataDir, 0o700);
      if (runAs) {
        for (const p of [this.dir, this.socketDir, this.dataDir]) {
          await chown(p, runAs.uid, runAs.gid);
        }
      }
      lap("unpack");
      await this.startServer();
      lap("start");
      await withAdmin(this.socketDir, this.adminPassword, (c) =>
        setUserPassword(c, USER_ROLE, this.password),
      );
      lap("password");
      if (opts.background) {
        await prewarmSharedBuffers(this.socketDir, this.adminPassword);
        lap("warm");
      }
      this.status = "ready";
    };
    this.transition = run();
    try {
      await this.transition;
    } catch (err) {
      this.status = "dead";
      throw err;
    }
  }

  /** Resolves true once the instance accepts connections, false if it is dead. */
  async whenUsable(): Promise<boolean> {
    await this.transition.catch(() => {});
    return this.status === "ready";
  }

  /**
   * Stops the server cleanly (fast shutdown writes a checkpoint), lets `copy` read the consistent
   * data directory, then starts the server again in the background; `whenUsable()` waits for it.
   */
  snapshot<T, U = T>(
    copy: (dataDir: string) => Promise<T>,
    after?: (copied: T) => Promise<U>,
  ): Promise<U> {
    return this.exclusive(() => this.snapshotNow(copy, after));
  }

  /**
   * Copies the data directory with the server running (online-snapshot.ts) when the cluster allows
   * it, else as snapshot() does. `after` runs before any later operation on the instance.
   */
  snapshotPreferOnline<T, U>(
    copyFrozen: (view: FrozenView) => T,
    copyStopped: (dataDir: string) => Promise<T>,
    after: (copied: T) => Promise<U>,
  ): Promise<{ value: U; way: SnapshotWay }> {
    return this.exclusive(async () => {
      const pid = this.pid;
      let reason = "the server is not running";
      if (pid !== null) {
        const target = {
          pid,
          dataDir: this.dataDir,
          socketDir: this.socketDir,
          adminPassword: this.adminPassword,
        };
        // A refusal (EnvError: too large) stands; anything else is retried by the clean stop.
        const got = await copyOnline(target, copyFrozen).catch((err: Error) => {
          if (err instanceof EnvError) throw err;
          return { online: false as const, reason: `online copy failed: ${err.message}` };
        });
        if (got.online) {
          return { value: await after(got.value), way: { online: true, frozenMs: got.frozenMs } };
        }
        reason = got.reason;
      }
      const value = await this.snapshotNow(copyStopped, after);
      return { value, way: { online: false, reason } };
    });
  }

  /** `after` runs while the server is starting again, before any later operation on the instance. */
  private async snapshotNow<T, U>(
    copy: (dataDir: string) => Promise<T>,
    after?: (copied: T) => Promise<U>,
  ): Promise<U> {
    this.status = "snapshotting";
    // Connections arriving while the server is down wait for the restart, not fail.
    let release: () => void = () => {};
    this.transition = new Promise<void>((resolve) => {
      release = resolve;
    });
    let result: T;
    try {
      await this.stopServer();
      await pruneRecycledWal(this.dataDir);
      result = await copy(this.dataDir);
    } catch (err) {
      this.restartInBackground(release);
      throw err;
    }
    this.restartInBackground(release);
    return after ? after(result) : (result as unknown as U);
  }

  restart(): Promise<void> {
    return this.exclusive(() => this.restartNow());
  }

  private async restartNow(): Promise<void> {
    this.status = "restarting";
    this.transition = (async () => {
      await this.stopServer();
      await this.startServer();
      this.status = "ready";
    })();
    await this.transition.catch((err) => {
      this.status = "dead";
      throw err;
    });
  }

  /** Sends pg_cancel_backend to every running statement of the user's sessions. */
  cancel(): Promise<number> {
    return this.exclusive(() => this.cancelNow());
  }

  private cancelNow(): Promise<number> {
    return withAdmin(this.socketDir, this.adminPassword, async (c) => {
      const res = await c.query<{ n: string }>(
        `SELECT count(*) FILTER (WHERE pg_cancel_backend(pid)) AS n FROM pg_stat_activity
         WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
           AND usename IS DISTINCT FROM $1 AND state <> 'idle'`,
        [ADMIN_ROLE],
      );
      return Number(res.rows[0]?.n ?? 0);
    });
  }

  ready(): boolean {
    return this.status === "ready";
  }

  /** Ends every user session (pg_terminate_backend): a quota was crossed. */
  terminateUserSessions(): Promise<number> {
    return withAdmin(this.socketDir, this.adminPassword, async (c) => {
      const res = await c.query<{ n: string }>(
        `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) AS n FROM pg_stat_activity
         WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
           AND usename IS DISTINCT FROM $1`,
        [ADMIN_ROLE],
      );
      return Number(res.rows[0]?.n ?? 0);
    });
  }

  /** Kills the server (no checkpoint: the data is thrown away) and removes the directory. */
  async destroy(): Promise<void> {
    this.expectingExit = true;
    await this.transition.catch(() => {});
    await this.proc?.kill();
    this.status = "dead";
    await rm(this.dir, { recursive: true, force: true });
  }

  /**
   * Runs `fn` after every earlier operation and transition (e.g. the restart after a snapshot) has
   * finished, and only if the instance is then ready.
   */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      await this.transition.catch(() => {});
      if (this.status !== "ready") throw new InstanceBusyError(this.id, this.status);
      return fn();
    });
    this.queue = run.then(
      () => {},
      () => {},
    );
    return run;
  }

  private restartInBackground(release: () => void): void {
    this.status = "restarting";
    (async () => {
      await this.startServer();
      this.status = "ready";
    })()
      .catch(() => {
        this.status = "dead";
      })
      .finally(release);
  }

  private async startServer(): Promise<void> {
    this.expectingExit = false;
    const proc = await startPostgres({
      binaries: this.deps.binaries,
      runAs: this.deps.runAs,
      dataDir: this.dataDir,
      socketDir: this.socketDir,
      logFile: join(this.dir, "postgres.log"),
    });
    this.proc = proc;
    void proc.exited.then(() => {
      if (this.proc !== proc || this.expectingExit) return;
      this.status = "dead";
      this.onDeath(this);
    });
  }

  private async stopServer(): Promise<void> {
    this.expectingExit = true;
    await this.proc?.stop();
  }
}

export class InstanceBusyError extends Error {
  readonly status: InstanceStatus;
  constructor(id: string, status: InstanceStatus) {
    super(`instance ${id} is ${status}`);
    this.status = status;
  }
}
