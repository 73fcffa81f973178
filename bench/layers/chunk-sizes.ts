// "Measure and choose" for the chunk size: given the files of a parent cluster and of a child, how
// many raw bytes would the child add at each fixed chunk size (chunks it names that the parent
// does not), and how many chunk references its manifest would hold. Pure reading, no compression.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

function files(dir: string, rel = ""): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
    const path = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...files(dir, path));
    else if (e.isFile()) out.push(path);
  }
  return out;
}

function chunkSet(dir: string, size: number): { hashes: Map<string, number>; refs: number } {
  const hashes = new Map<string, number>();
  let refs = 0;
  for (const f of files(dir)) {
    if (statSync(join(dir, f)).size === 0) continue;
    const data = readFileSync(join(dir, f));
    for (let at = 0; at < data.length; at += size) {
      const piece = data.subarray(at, Math.min(at + size, data.length));
      hashes.set(createHash("sha256").update(piece).digest("hex"), piece.length);
      refs++;
    }
  }
  return { hashes, refs };
}

export interface ChunkSizeRow {
  size: number;
  newRawBytes: number;
  refs: number;
}

/** New raw bytes of `child` against `parent` for each chunk size. */
export function compareChunkSizes(parent: string, child: string, sizes: number[]): ChunkSizeRow[] {
  return sizes.map((size) => {
    const p = chunkSet(parent, size).hashes;
    const c = chunkSet(child, size);
    let newRawBytes = 0;
    for (const [h, len] of c.hashes) if (!p.has(h)) newRawBytes += len;
    return { size, newRawBytes, refs: c.refs };
  });
}
