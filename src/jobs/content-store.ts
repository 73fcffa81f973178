// The content-addressed file store behind `{ "etag": "sha256:<hex>" }` tree entries: every inline
// file a job receives is kept in R2 under its SHA-256, so a later job (of any user) can send the
// etag instead of the bytes. Knowing an etag means knowing the content's hash, which in practice
// means having the content; the store never lists keys.
import { contentDigest } from "./job-id.ts";
import type { StoredEntry } from "./job-store.ts";

export type ContentStore = R2Bucket;

/**
 * Recently used contents, per isolate (the Durable Objects of one isolate share it), so a hot
 * tail sent by etag is not read from R2 on every job. Bounded by characters.
 */
const CACHE_CHARS = 64 * 1024 * 1024;
const cache = new Map<string, string>();
let cachedChars = 0;

function remember(etag: string, text: string): void {
  if (text.length > CACHE_CHARS / 4) return;
  const old = cache.get(etag);
  if (old !== undefined) {
    cache.delete(etag);
    cachedChars -= old.length;
  }
  cache.set(etag, text);
  cachedChars += text.length;
  for (const [key, value] of cache) {
    if (cachedChars <= CACHE_CHARS) break;
    cache.delete(key);
    cachedChars -= value.length;
  }
}

function recall(etag: string): string | undefined {
  const text = cache.get(etag);
  if (text !== undefined) remember(etag, text);
  return text;
}

function keyOf(etag: string): string {
  return `sha256/${etag.slice("sha256:".length)}`;
}

/** Keeps the inline files of a tree (those not already stored); returns how many were written. */
export async function rememberContent(
  store: ContentStore,
  files: ReadonlyMap<string, StoredEntry>,
): Promise<number> {
  let written = 0;
  await Promise.all(
    [...files.values()].map(async (entry) => {
      if (!("content" in entry)) return;
      const etag = `sha256:${await contentDigest(entry.content)}`;
      const known = recall(etag) !== undefined || (await store.head(keyOf(etag))) !== null;
      if (!known) {
        await store.put(keyOf(etag), entry.content);
        written++;
      }
      remember(etag, entry.content);
    }),
  );
  return written;
}

/** The resolver the planner uses for etags the job itself does not hold. */
export function storeResolver(store: ContentStore): (etag: string) => Promise<string | undefined> {
  return async (etag) => {
    const hit = recall(etag);
    if (hit !== undefined) return hit;
    const object = await store.get(keyOf(etag));
    if (!object) return undefined;
    const text = await object.text();
    remember(etag, text);
    return text;
  };
}
