// The jobs side of the planner: validate a part, plan a whole job. Planner errors are AppErrors
// (422, or 413 for size limits) and travel back to the caller as they are.
import { scanIncludes } from "../engine/scan-includes.ts";
import { IsolateCache, stringBytes } from "../limits/isolate-cache.ts";
import { type Plan, planJob } from "../planner/plan.ts";
import { validateTree } from "../planner/tree.ts";
import { contentDigest, type Digest } from "./job-id.ts";
import type { StoredEntry } from "./job-store.ts";

export interface ValidPart {
  /** Normalized path -> stored entry. */
  files: Map<string, StoredEntry>;
}

export function validatePart(tree: Record<string, unknown>): ValidPart {
  const checked = validateTree(tree as Parameters<typeof validateTree>[0]);
  const files = new Map<string, StoredEntry>();
  for (const [path, entry] of checked.entries) {
    files.set(path, typeof entry === "string" ? { content: entry } : { etag: entry.etag });
  }
  return { files };
}

/** Contents shorter than this are scanned every time (cheap); longer ones are remembered. */
const SCAN_MEMO_MIN_CHARS = 4096;
/** Scans of big contents; the contents themselves are the keys (part of the isolate's budget). */
const scanMemo = new IsolateCache<string, ReturnType<typeof scanIncludes>>((content) =>
  stringBytes(content),
);

/**
 * scanIncludes, remembered for the last few big contents: lexing a 3 MB COPY file takes ~10 ms
 * of CPU, and a hot tail is planned again by every job that sends it. Same answer, same errors
 * (the scanner does not throw on content; includes are resolved by the caller every time).
 */
export function scanIncludesMemo(content: string): ReturnType<typeof scanIncludes> {
  if (content.length < SCAN_MEMO_MIN_CHARS) return scanIncludes(content);
  const known = scanMemo.get(content);
  if (known) return known.map((ref) => ({ ...ref }));
  const refs = scanIncludes(content);
  scanMemo.set(content, refs);
  return refs.map((ref) => ({ ...ref }));
}

/**
 * Plans the job. `{ etag }` entries resolve to a file of the same job whose content has that
 * SHA-256 (so a long job can refer to content it already sent), then to the content store.
 */
export function planTree(
  tree: Record<string, StoredEntry>,
  headPath: string,
  fallback?: (etag: string) => Promise<string | undefined>,
  digest: Digest = contentDigest,
): Promise<Plan> {
  const resolveEtag = async (etag: string): Promise<string | undefined> => {
    for (const entry of Object.values(tree)) {
      if ("content" in entry && `sha256:${await digest(entry.content)}` === etag) {
        return entry.content;
      }
    }
    return fallback ? fallback(etag) : undefined;
  };
  return planJob({
    tree,
    headPath,
    resolveEtag,
    scanIncludes: scanIncludesMemo,
    textDigest: digest,
  });
}
