// One running `postgres` postmaster: spawned directly (not via pg_ctl) so its exit is an event we
// see at once (death detection), readiness is read from postmaster.pid, and stop is a signal.
import { type ChildProcess, spawn } from "node:child_process";
import { open, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { PgBinaries } from "./binaries.ts";
import { type RunAs, serverEnv } from "./os-user.ts";
import { SOCKET_PORT } from "./settings.ts";

export interface StartOptions {
  binaries: PgBinaries;
  runAs: RunAs | null;
  dataDir: string;
  /** Directory for the unix socket (owned by the server's OS user). */
  socketDir: string;
  logFile: string;
  /** Give up waiting for readiness after this long. */
  timeoutMs?: number;
}

export interface PgProcess {
  readonly pid: number;
  readonly socketDir: string;
  /** Resolves with the exit code/signal when the postmaster exits, for any reason. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  isRunning(): boolean;
  /** Fast shutdown (SIGINT: abort sessions, checkpoint, exit): leaves a consistent data dir. */
  stop(timeoutMs?: number): Promise<void>;
  /**
   * Immediate shutdown (SIGQUIT: no checkpoint, but shared memory is released), SIGKILL if that
   * hangs: only for throwing the data directory away.
   */
  kill(): Promise<void>;
}

/** Address space of one server process (docs/limits.md); PG_MAX_BACKEND_BYTES overrides it. */
export const MAX_BACKEND_BYTES = Number(process.env.PG_MAX_BACKEND_BYTES ?? 1024 * 1024 * 1024);

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Postmasters outliving this process would hold ports, memory and data dirs: take them down.
  process.on("exit", () => {
    for (const child of live) child.kill("SIGQUIT");
  });
}

export async function startPostgres(opts: StartOptions): Promise<PgProcess> {
  installExitHook();
  // A restart appends to the log of earlier runs, whose ERROR/STATEMENT lines hold users' SQL: a
  // failed start quotes only what this start wrote (startup messages, no user data).
  const offset = (await stat(opts.logFile).catch(() => null))?.size ?? 0;
  const log = await open(opts.logFile, "a");
  // Each server process gets an address-space limit (RLIMIT_AS via the shell's ulimit, inherited
  // by every backend): work_mem is user-settable, so this is what caps one statement's memory; a
  // backend past it fails its statement with 53200 out_of_memory, the server stays up.
  const child = spawn(
    "/bin/sh",
    [
      "-c",
      'ulimit -v "$0" && exec "$@"',
      String(Math.floor(MAX_BACKEND_BYTES / 1024)),
      join(opts.binaries.binDir, "postgres"),
      "-D",
      opts.dataDir,
      "-k",
      opts.socketDir,
      "-p",
      String(SOCKET_PORT),
    ],
    {
      stdio: ["ignore", log.fd, log.fd],
      env: serverEnv(),
      ...(opts.runAs ? { uid: opts.runAs.uid, gid: opts.runAs.gid } : {}),
    },
  );
  await log.close();
  live.add(child);
  let running = true;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => {
      running = false;
      live.delete(child);
      resolve({ code, signal });
    });
    child.once("error", () => {
      running = false;
      live.delete(child);
      resolve({ code: null, signal: null });
    });
  });
  const proc: PgProcess = {
    pid: child.pid ?? -1,
    socketDir: opts.socketDir,
    exited,
    isRunning: () => running,
    async stop(timeoutMs = 15_000) {
      if (!running) return;
      child.kill("SIGINT");
      const timer = setTimeout(() => child.kill("SIGQUIT"), timeoutMs);
      await exited;
      clearTimeout(timer);
    },
    async kill() {
      if (!running) return;
      child.kill("SIGQUIT");
      const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
      await exited;
      clearTimeout(timer);
    },
  };
  try {
    await waitReady(opts.dataDir, proc, opts.timeoutMs ?? 30_000);
  } catch (err) {
    await proc.kill();
    const written = await readFile(opts.logFile).catch(() => Buffer.alloc(0));
    const tail = written.subarray(offset).toString("utf8");
    throw new Error(`${(err as Error).message}; server log: ${tail.slice(-600)}`);
  }
  return proc;
}

/** Polls line 8 of postmaster.pid (PM_STATUS) until it says "ready", as pg_ctl does, but tighter. */
async function waitReady(dataDir: string, proc: PgProcess, timeoutMs: number): Promise<void> {
  const pidFile = join(dataDir, "postmaster.pid");
  const deadline = Date.now() + timeoutMs;
  let delay = 2;
  while (Date.now() < deadline) {
    if (!proc.isRunning()) throw new Error("postgres exited during startup");
    const text = await readFile(pidFile, "utf8").catch(() => "");
    const lines = text.split("\n");
    if (lines[0] === String(proc.pid) && lines[7]?.trim() === "ready") return;
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay + 1, 10);
  }
  throw new Error(`postgres not ready after ${timeoutMs} ms`);
}
