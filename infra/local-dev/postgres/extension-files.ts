// What pg_available_extension_versions would list, read from an engine's extension directory
// without starting a server (so /healthz can list five engines at once): a version is available
// when it has an install script `name--V.sql`, or when update scripts `name--A--B.sql` lead to it
// from one that has (PostgreSQL's extension.c, get_available_versions_for_extension). The engines
// test checks this against the real view on every engine.
import { readdir, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { ExtensionOffer } from "../../../src/clients/contracts/engines.ts";

/** `<prefix>/share/postgresql/extension` (npm packages) or `<prefix>/share/extension`. */
async function extensionDir(binDir: string): Promise<string | null> {
  const prefix = dirname(binDir);
  for (const dir of [
    join(prefix, "share", "postgresql", "extension"),
    join(prefix, "share", "extension"),
  ]) {
    try {
      await readdir(dir);
      return dir;
    } catch {
      // try the next layout
    }
  }
  return null;
}

/** name -> offer, sorted by name; null when the engine's extension directory is not found. */
export async function readExtensionFiles(
  binDir: string,
): Promise<Record<string, ExtensionOffer> | null> {
  const dir = await extensionDir(binDir);
  if (!dir) return null;
  const files = await readdir(dir);
  const out: Record<string, ExtensionOffer> = {};
  for (const file of files.filter((f) => f.endsWith(".control") && !f.includes("--")).sort()) {
    const name = file.slice(0, -".control".length);
    const control = parseControl(await readFile(join(dir, file), "utf8"));
    const versions = availableVersions(name, files);
    if (versions.length === 0) continue;
    out[name] = {
      versions,
      default_version: control.default_version ?? null,
      trusted: control.trusted === "true" || control.trusted === "on",
    };
  }
  return out;
}

/** `key = 'value'` lines of a control file (comments and blank lines skipped). */
function parseControl(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^\s*([a-z_]+)\s*=\s*(?:'((?:[^']|'')*)'|(\S+))/.exec(line);
    if (m?.[1]) out[m[1]] = (m[2] ?? m[3] ?? "").replaceAll("''", "'");
  }
  return out;
}

function availableVersions(name: string, files: readonly string[]): string[] {
  const prefix = `${name}--`;
  const installable = new Set<string>();
  const updates = new Map<string, string[]>();
  for (const f of files) {
    if (!f.startsWith(prefix) || !f.endsWith(".sql")) continue;
    const parts = f.slice(prefix.length, -".sql".length).split("--");
    if (parts.length === 1 && parts[0]) installable.add(parts[0]);
    if (parts.length === 2 && parts[0] && parts[1]) {
      updates.set(parts[0], [...(updates.get(parts[0]) ?? []), parts[1]]);
    }
  }
  const reached = new Set(installable);
  const queue = [...installable];
  while (queue.length > 0) {
    for (const next of updates.get(queue.shift() as string) ?? []) {
      if (!reached.has(next)) {
        reached.add(next);
        queue.push(next);
      }
    }
  }
  return [...reached].sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
}
