// GC by chunk (mark and sweep): every manifest in layer storage marks the chunks it names, then
// chunk files nobody marked are deleted, but only when older than the grace period. env-manager
// writes a layer's chunks before its manifest and touches chunks it reuses, so a layer being written
// right now has only young chunks: the grace period covers it without any lock between the services.
import { lstat, readdir, readFile, rm, unlink } from "node:fs/promises";
import { join } from "node:path";
import { CHUNK_FILE } from "../layers/chunk-store.ts";
import { MANIFEST_FILE } from "../layers/writer.ts";

export type ChunkSweep = { deleted: number; freed_bytes: number; kept: number; kept_bytes: number };

/**
 * Chunk hashes named by the manifests of every layer directory (finished or being written); null
 * when a manifest is there but unreadable: then nothing may be swept.
 */
export async function markChunks(layersRoot: string): Promise<Set<string> | null> {
  const marked = new Set<string>();
  let names: string[] = [];
  try {
    names = await readdir(layersRoot);
  } catch {
    return marked;
  }
  for (const name of names) {
    if (name.startsWith(".tmp-gc-")) continue;
    let text: string;
    try {
      text = await readFile(join(layersRoot, name, MANIFEST_FILE), "utf8");
    } catch {
      continue; // a format-1 layer, or gone meanwhile
    }
    let parsed: { files?: { chunks?: unknown }[] };
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      return null;
    }
    for (const f of parsed.files ?? []) {
      if (!Array.isArray(f.chunks)) continue;
      for (const c of f.chunks) if (typeof c === "string") marked.add(c);
    }
  }
  return marked;
}

export async function sweepChunks(
  chunksRoot: string,
  marked: ReadonlySet<string> | null,
  now: number,
  graceMs: number,
): Promise<ChunkSweep> {
  const out: ChunkSweep = { deleted: 0, freed_bytes: 0, kept: 0, kept_bytes: 0 };
  let prefixes: string[] = [];
  try {
    prefixes = await readdir(chunksRoot);
  } catch {
    return out;
  }
  for (const prefix of prefixes) {
    const dir = join(chunksRoot, prefix);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const path = join(dir, name);
      const m = CHUNK_FILE.exec(name);
      const st = await lstat(path).catch(() => null);
      if (!st) continue;
      const old = now - st.mtimeMs >= graceMs;
      if (!m) {
        // An interrupted chunk write (`.tmp-*`).
        if (old && name.startsWith(".tmp-")) await rm(path, { force: true });
        continue;
      }
      if (!marked || marked.has(m[1] ?? "") || !old) {
        out.kept++;
        out.kept_bytes += st.size;
        continue;
      }
      await unlink(path).catch(() => {});
      out.deleted++;
      out.freed_bytes += st.size;
    }
  }
  return out;
}
