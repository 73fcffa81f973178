// Layer format 2: a layer is a manifest (every directory, file and symlink of a stopped cluster,
// each file with its chunk hashes) plus content-addressed chunks kept once in a shared chunk store.
// The layer id is the SHA-256 of the manifest's canonical JSON, so identical clusters get one id
// and a manifest can be checked against its id.
import { createHash } from "node:crypto";
import { z } from "zod";

export const LAYER_FORMAT = 2;
/**
 * Chunk size: PostgreSQL writes relation files in place in 8 KiB pages, so chunks aligned to pages
 * change only where a page changed. 64 KiB (8 pages) measured best overall (docs/layers.md): 32 KiB
 * stores slightly fewer new bytes per small change but doubles manifest size and per-chunk costs.
 */
export const CHUNK_SIZE = 64 * 1024;

const Hash = z.string().regex(/^[0-9a-f]{64}$/);
const RelPath = z
  .string()
  .min(1)
  .max(1024)
  .refine((p) => !p.startsWith("/") && !p.split("/").includes(".."), "must stay inside");

export const ManifestSchema = z.strictObject({
  format: z.literal(LAYER_FORMAT),
  chunk_size: z
    .number()
    .int()
    .min(8192)
    .max(16 * 1024 * 1024),
  compression: z.enum(["zstd", "gzip"]),
  dirs: z.array(z.strictObject({ path: RelPath, mode: z.number().int() })),
  files: z.array(
    z.strictObject({
      path: RelPath,
      mode: z.number().int(),
      size: z.number().int().min(0),
      chunks: z.array(Hash),
    }),
  ),
  links: z.array(z.strictObject({ path: RelPath, target: z.string().min(1).max(4096) })),
});
export type Manifest = z.infer<typeof ManifestSchema>;
export type ManifestFile = Manifest["files"][number];

/** The canonical bytes of a manifest: entries sorted by path, fixed key order. */
export function encodeManifest(m: Manifest): Buffer {
  const byPath = (a: { path: string }, b: { path: string }) =>
    a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
  const canonical: Manifest = {
    format: m.format,
    chunk_size: m.chunk_size,
    compression: m.compression,
    dirs: [...m.dirs].sort(byPath).map((d) => ({ path: d.path, mode: d.mode })),
    files: [...m.files]
      .sort(byPath)
      .map((f) => ({ path: f.path, mode: f.mode, size: f.size, chunks: f.chunks })),
    links: [...m.links].sort(byPath).map((l) => ({ path: l.path, target: l.target })),
  };
  return Buffer.from(JSON.stringify(canonical));
}

export function layerIdOf(encoded: Buffer): string {
  return createHash("sha256").update(encoded).digest("hex");
}

export function parseManifest(text: string): Manifest {
  return ManifestSchema.parse(JSON.parse(text));
}

/** Sum of file sizes: what booting the layer writes. */
export function logicalBytes(m: Manifest): number {
  let total = 0;
  for (const f of m.files) total += f.size;
  return total;
}

/** Number of chunk references (with repeats) and distinct chunks. */
export function chunkCounts(m: Manifest): { refs: number; distinct: number } {
  const seen = new Set<string>();
  let refs = 0;
  for (const f of m.files) {
    refs += f.chunks.length;
    for (const c of f.chunks) seen.add(c);
  }
  return { refs, distinct: seen.size };
}
