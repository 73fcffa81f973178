// Freezing a running cluster: SIGSTOP its postmaster and every descendant, and wait until the
// kernel reports each of them stopped. Everything here is synchronous on purpose: the caller keeps
// the cluster frozen only while its own code runs, so no timer, request or await can stretch the
// window, and a thrown error is followed by the thaw in the same tick (see withFrozen).
import { readdirSync, readFileSync } from "node:fs";

/** Gives up on a process that does not stop within this long (it would be a kernel-level hang). */
const STOP_TIMEOUT_MS = 2_000;

const PAUSE = new Int32Array(new SharedArrayBuffer(4));

/** The process's state letter from /proc/<pid>/stat, or null once it is gone. */
function stateOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) is in parentheses and may hold spaces: the state follows the last ')'.
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  } catch {
    return null;
  }
}

/** Direct children of `pid`: /proc/<pid>/task/<tid>/children, or a scan of /proc without it. */
function childrenOf(pid: number): number[] {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return []; // Exited: nothing of it left to freeze.
  }
  try {
    const out: number[] = [];
    for (const tid of tids) {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8").trim();
      if (text) out.push(...text.split(/\s+/).map(Number));
    }
    return out;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) out.push(Number(name));
    } catch {
      // Exited while we looked.
    }
  }
  return out;
}

/** Queues SIGSTOP for `pid`; false if it has exited already. */
function sendStop(pid: number): boolean {
  try {
    process.kill(pid, "SIGSTOP");
    return true;
  } catch {
    return false;
  }
}

/**
 * Waits until each of `pids` is stopped ('T'/'t') or can no longer run ('Z'/'X' or gone). kill()
 * only queues the signal: a process runs on until the kernel next schedules it, possibly finishing
 * a write() it was in (writes to tmpfs are not interrupted by a stop signal). All of them are
 * signalled before the wait, so on a loaded machine their scheduling delays overlap.
 */
function waitStopped(pids: number[], deadline: number): void {
  let left = pids;
  while (left.length > 0) {
    left = left.filter((pid) => {
      const s = stateOf(pid);
      return !(s === null || s === "T" || s === "t" || s === "Z" || s === "X");
    });
    if (left.length === 0) return;
    if (Date.now() > deadline) throw new Error(`processes ${left.join(", ")} did not stop`);
    // A synchronous pause of 50 us: leaves the core to the processes that act on the signal.
    Atomics.wait(PAUSE, 0, 0, 0.05);
  }
}

/**
 * Freezes the postmaster first, so it cannot fork anything new, then its descendants, a generation
 * at a time; once the postmaster is stopped any fork it made has returned, so the descendants
 * listed then are all. Returns every pid it stopped, for thaw().
 */
export function freezeTree(postmasterPid: number): number[] {
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  const stopped: number[] = [];
  try {
    let generation = [postmasterPid];
    while (generation.length > 0) {
      const signalled = generation.filter(sendStop);
      stopped.push(...signalled);
      waitStopped(signalled, deadline);
      generation = signalled.flatMap(childrenOf);
    }
    return stopped;
  } catch (err) {
    thaw(stopped);
    throw err;
  }
}

/** SIGCONT, children first: the postmaster resumes last, with every backend already running. */
export function thaw(pids: number[]): void {
  for (const pid of [...pids].reverse()) {
    try {
      process.kill(pid, "SIGCONT");
    } catch {
      // Exited meanwhile (a stopped process still receives SIGKILL).
    }
  }
}

/** Runs `fn` with the cluster frozen and thaws it whatever `fn` does. */
export function withFrozen<T>(postmasterPid: number, fn: () => T): T {
  const pids = freezeTree(postmasterPid);
  try {
    return fn();
  } finally {
    thaw(pids);
  }
}
