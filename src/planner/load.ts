// Loading a validated tree: resolve etags, enforce byte limits, normalize, hash. One pass per
// file through one reused UTF-8 buffer (encodeInto), so 50 MB of text costs one copy, not an
// allocation per file.
import {
  checkContent,
  needsNormalization,
  normalizeText,
  normalizeUtf8InPlace,
} from "./content.ts";
import { PlannerError, quote } from "./errors.ts";
import { toHex } from "./hash.ts";
import type { PlannerLimits } from "./limits.ts";
import { comparePaths } from "./natural-sort.ts";
import { checkFileBytes, checkTotalBytes, type EtagEntry, type EtagResolver } from "./tree.ts";

export interface LoadedFiles {
  /** Normalized path -> normalized text, in natural path order. */
  texts: ReadonlyMap<string, string>;
  /** Normalized path -> SHA-256 of the normalized text's UTF-8 bytes. */
  sha256: ReadonlyMap<string, Uint8Array>;
}

/**
 * SHA-256 (hex) of a text's UTF-8 bytes, from a caller that may already know it (the jobs side
 * hashes every file for idempotency and the content store); the planner then skips hashing it again.
 */
export type TextDigest = (text: string) => Promise<string>;

function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

const encoder = new TextEncoder();
const BOM = 0xfeff;
// ignoreBOM keeps a second BOM in the text: only one is stripped, by normalizeUtf8InPlace.
const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

/** A growable buffer for UTF-8 encoding; the returned view is valid until the next encode. */
class Utf8Scratch {
  #buffer = new Uint8Array(64 * 1024);

  encode(text: string): Uint8Array {
    // Try the ASCII-sized buffer first; grow to the worst case (3 bytes per unit) if it fell short.
    if (this.#buffer.length < text.length) this.#buffer = new Uint8Array(text.length);
    let result = encoder.encodeInto(text, this.#buffer);
    if (result.read < text.length) {
      this.#buffer = new Uint8Array(text.length * 3);
      result = encoder.encodeInto(text, this.#buffer);
    }
    return this.#buffer.subarray(0, result.written);
  }
}

/**
 * Resolves etags (each distinct etag once, concurrently), checks byte limits in natural path
 * order, normalizes and hashes every file. Each digest is awaited before the buffer is reused.
 */
export async function loadFiles(
  entries: ReadonlyMap<string, string | EtagEntry>,
  limits: PlannerLimits,
  resolveEtag: EtagResolver | undefined,
  textDigest?: TextDigest,
): Promise<LoadedFiles> {
  // The raw bytes' SHA-256: from `textDigest` when given (same value), else computed here.
  const rawDigest = async (raw: string, rawBytes: Uint8Array): Promise<Uint8Array> =>
    textDigest
      ? fromHex(await textDigest(raw))
      : new Uint8Array(await crypto.subtle.digest("SHA-256", rawBytes));
  const resolved = await resolveEtags(entries, resolveEtag);
  const texts = new Map<string, string>();
  const hashes = new Map<string, Uint8Array>();
  const scratch = new Utf8Scratch();
  let total = 0;
  for (const path of [...entries.keys()].sort(comparePaths)) {
    const entry = entries.get(path)!;
    const raw = typeof entry === "string" ? entry : resolved.get(entry.etag)!;
    const rawBytes = scratch.encode(raw);
    checkFileBytes(path, rawBytes.byteLength, limits);
    total += rawBytes.byteLength;
    checkTotalBytes(path, total, limits);
    checkContent(path, raw);
    let rawSha: Uint8Array | undefined;
    if (typeof entry !== "string") {
      rawSha = await rawDigest(raw, rawBytes);
      if (`sha256:${toHex(rawSha)}` !== entry.etag) {
        throw new PlannerError(
          "etag_mismatch",
          path,
          `file ${quote(path)}: the content stored for ${entry.etag} has another SHA-256`,
        );
      }
    }
    let text = raw;
    let sha: Uint8Array;
    if (raw.charCodeAt(0) === BOM) {
      // A BOM makes V8 store the whole text as UTF-16, which encodes slowly: normalize the bytes
      // already encoded and decode them, which gives back a compact one-byte string for ASCII.
      const normalized = normalizeUtf8InPlace(rawBytes);
      text = decoder.decode(normalized);
      sha = new Uint8Array(await crypto.subtle.digest("SHA-256", normalized));
    } else if (needsNormalization(raw)) {
      // CRs in a one-byte string: replaceAll + encodeInto beat the byte loop here.
      text = normalizeText(raw);
      sha = new Uint8Array(await crypto.subtle.digest("SHA-256", scratch.encode(text)));
    } else {
      sha = rawSha ?? (await rawDigest(raw, rawBytes));
    }
    texts.set(path, text);
    hashes.set(path, sha);
  }
  return { texts, sha256: hashes };
}

async function resolveEtags(
  entries: ReadonlyMap<string, string | EtagEntry>,
  resolveEtag: EtagResolver | undefined,
): Promise<Map<string, string>> {
  const firstPath = new Map<string, string>();
  for (const [path, entry] of entries) {
    if (typeof entry !== "string" && !firstPath.has(entry.etag)) firstPath.set(entry.etag, path);
  }
  const resolved = new Map<string, string>();
  await Promise.all(
    [...firstPath].map(async ([etag, path]) => {
      const text = resolveEtag === undefined ? undefined : await resolveEtag(etag);
      if (typeof text !== "string") {
        throw new PlannerError("unknown_etag", path, `file ${quote(path)}: unknown etag ${etag}`, {
          etag,
        });
      }
      resolved.set(etag, text);
    }),
  );
  return resolved;
}
