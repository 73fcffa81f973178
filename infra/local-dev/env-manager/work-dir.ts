// Scratch space for running instances: `<root>/<pid>-<random>/` per env-manager (several may run in
// one process), so two env-managers never touch each other's instances. A process that died without
// cleaning up leaves `<root>/<dead pid>-*/`; the next start stops the postmasters it left running
// and removes the directory.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === "EPERM";
  }
}

async function isPostgres(pid: number): Promise<boolean> {
  const comm = await readFile(`/proc/${pid}/comm`, "utf8").catch(() => "");
  return comm.trim() === "postgres";
}

/** Removes leftovers of dead env-manager processes under `root`; returns how many were removed. */
export async function sweepLeftovers(root: string): Promise<number> {
  const entries = await readdir(root).catch(() => [] as string[]);
  let removed = 0;
  for (const name of entries) {
    const m = /^(\d+)-[0-9a-f]+$/.exec(name);
    const owner = Number(m?.[1]);
    if (!m || owner === process.pid || alive(owner)) continue;
    const dir = join(root, name);
    for (const inst of await readdir(dir).catch(() => [] as string[])) {
      const pidLine = await readFile(join(dir, inst, "data", "postmaster.pid"), "utf8").catch(
        () => "",
      );
      const pid = Number(pidLine.split("\n")[0]);
      if (pid > 0 && alive(pid) && (await isPostgres(pid))) process.kill(pid, "SIGQUIT");
    }
    await rm(dir, { recursive: true, force: true });
    removed++;
  }
  return removed;
}

/**
 * The parent-death watch: a small shell that holds a pipe from this process and, once the pipe
 * closes (this process exited, SIGKILL included, which no exit hook sees), stops every postmaster
 * under `dir` (SIGQUIT, read from postmaster.pid, checked to be a postgres process) and removes
 * the directory. Without it, a killed env-manager that is never restarted leaves its PostgreSQL
 * servers running for good. Detached, so the kill of a process group does not take it along.
 */
const WATCH_SCRIPT = `read _ || true
for f in "$0"/*/data/postmaster.pid; do
  pid=$(head -n 1 "$f" 2>/dev/null)
  if [ -n "$pid" ] && [ "$(cat /proc/$pid/comm 2>/dev/null)" = postgres ]; then kill -QUIT "$pid"; fi
done
# Give the servers up to 10 s to exit before their directory goes.
n=0
while [ $n -lt 100 ] && ls "$0"/*/data/postmaster.pid >/dev/null 2>&1; do sleep 0.1; n=$((n+1)); done
rm -rf "$0"`;

export function watchOwnerDeath(dir: string): ChildProcess {
  const child = spawn("/bin/sh", ["-c", WATCH_SCRIPT, dir], {
    stdio: ["pipe", "ignore", "ignore"],
    detached: true,
  });
  // Neither the watcher nor its pipe keeps this process alive.
  child.unref();
  (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  child.on("error", () => {});
  child.stdin?.on("error", () => {});
  return child;
}

export async function claimWorkDir(root: string): Promise<string> {
  await mkdir(root, { recursive: true, mode: 0o755 });
  await sweepLeftovers(root);
  const dir = join(root, `${process.pid}-${randomBytes(4).toString("hex")}`);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  return dir;
}

/** Removes this env-manager's directory (the root stays: other env-managers may be using it). */
export async function releaseWorkDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
