// Reads a project folder into the tree a job carries: every file under DIR except dot-entries
// (`.git`, `.env`, `.sql-runner`), `node_modules` and what a `.gitignore` (at any level) excludes.
// The manifest `sql-runner.json` is sent like any file and also parsed here, so `test` knows which
// folders are isolated. Bounded: the service takes at most 10,000 files / 64 MiB, and so does this.
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import ignore, { type Ignore } from "ignore";
import { UsageError } from "./exit-codes.ts";

export const PROJECT_LIMITS = { maxFiles: 10_000, maxTotalBytes: 64 * 1024 * 1024 } as const;
export const MANIFEST = "sql-runner.json";

export interface Manifest {
  stages: string[];
  isolated: string[];
}

export interface Project {
  root: string;
  /** Relative POSIX path -> text, in sorted path order. */
  files: Map<string, string>;
  manifest: Manifest;
  totalBytes: number;
}

interface Rules {
  base: string;
  matcher: Ignore;
}

function ignored(rules: Rules[], rel: string, isDir: boolean): boolean {
  for (const r of rules) {
    const inside =
      r.base === "" ? rel : rel.startsWith(`${r.base}/`) ? rel.slice(r.base.length + 1) : null;
    if (inside !== null && r.matcher.ignores(isDir ? `${inside}/` : inside)) return true;
  }
  return false;
}

async function readRules(dir: string, base: string): Promise<Rules | null> {
  const text = await readFile(join(dir, ".gitignore"), "utf8").catch(() => null);
  return text === null ? null : { base, matcher: ignore().add(text) };
}

/** Reads DIR; throws UsageError when it is missing or over the service's limits. */
export async function readProject(root: string): Promise<Project> {
  const info = await stat(root).catch(() => null);
  if (!info?.isDirectory()) throw new UsageError(`${root}: not a directory`);
  const files = new Map<string, string>();
  let totalBytes = 0;
  const walk = async (dir: string, rel: string, rules: Rules[]): Promise<void> => {
    const own = await readRules(dir, rel);
    const active = own ? [...rules, own] : rules;
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
      const path = rel === "" ? entry.name : `${rel}/${entry.name}`;
      const full = join(dir, entry.name);
      const kind = entry.isSymbolicLink() ? await stat(full).catch(() => null) : entry;
      if (!kind) continue;
      if (kind.isDirectory()) {
        if (!ignored(active, path, true)) await walk(full, path, active);
        continue;
      }
      if (!kind.isFile() || ignored(active, path, false)) continue;
      if (files.size >= PROJECT_LIMITS.maxFiles) {
        throw new UsageError(
          `${root}: more than ${PROJECT_LIMITS.maxFiles} files (the service's limit)`,
        );
      }
      const text = await readFile(full, "utf8");
      totalBytes += Buffer.byteLength(text);
      if (totalBytes > PROJECT_LIMITS.maxTotalBytes) {
        throw new UsageError(
          `${root}: the project is larger than 64 MiB (the service's limit) at ${path}`,
        );
      }
      files.set(path, text);
    }
  };
  await walk(root, "", []);
  if (files.size === 0) throw new UsageError(`${root}: no files to send`);
  return { root, files, manifest: parseManifest(files.get(MANIFEST)), totalBytes };
}

/** The stage lists of the manifest (defaults as in docs/project-format.md); the service validates it. */
export function parseManifest(text: string | undefined): Manifest {
  const fallback = { stages: ["init", "seed"], isolated: ["test", "bench"] };
  if (text === undefined) return fallback;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fallback; // the service names the error (invalid_manifest)
  }
  const list = (v: unknown, d: string[]) =>
    Array.isArray(v) && v.every((s) => typeof s === "string") ? (v as string[]) : d;
  const obj = typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
  return {
    stages: list(obj.stages, fallback.stages),
    isolated: list(obj.isolated, fallback.isolated),
  };
}

/** Heads of the isolated stages (what `sql-runner test` runs), in path order. */
export function isolatedHeads(project: Project): string[] {
  return [...project.files.keys()].filter(
    (p) => p.endsWith(".sql") && project.manifest.isolated.some((dir) => p.startsWith(`${dir}/`)),
  );
}

export function treeOf(project: Project): Record<string, string> {
  return Object.fromEntries(project.files);
}
