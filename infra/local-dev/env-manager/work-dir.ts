// Scratch space for running instances: `<root>/<pid>/` per env-manager process, so two processes on
// one data root never touch each other's instances. A process that died without cleaning up leaves
// `<root>/<dead pid>/`; the next start stops the postmasters it left running and removes it.
import { mkdir, readdir, readFile, rm, rmdir } from "node:fs/promises";
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
    const owner = Number(name);
    if (!/^\d+$/.test(name) || owner === process.pid || alive(owner)) continue;
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

export async function claimWorkDir(root: string): Promise<string> {
  await mkdir(root, { recursive: true, mode: 0o755 });
  await sweepLeftovers(root);
  const dir = join(root, String(process.pid));
  await mkdir(dir, { recursive: true, mode: 0o755 });
  return dir;
}

export async function releaseWorkDir(root: string, dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await rmdir(root).catch(() => {});
}
