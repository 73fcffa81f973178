// The content-addressed file store behind `{ "etag": "sha256:<hex>" }` tree entries: every inline
// file a job receives is kept in R2 under its SHA-256, so a later job (of any user) can send the
// etag instead of the bytes. Knowing an etag means knowing the content's hash, which in practice
// means having the content; the store never lists keys.
import { contentDigest } from "./job-id.ts";
import type { StoredEntry } from "./job-store.ts";

/**
 * A lease on contents in the store's GC index (src/lifecycle/content-keep.ts): content leased
 * until `until` is not collected before then. Taken before a content is looked up, so a sweep
 * deleting it at the same moment either comes first (and the lookup sees it missing and writes it
 * again) or after (and finds it kept).
 */
export interface ContentLease {
  until: number;
  take(hexes: string[], until: number): Promise<void>;
}

/** The R2 bucket `FILES`, and the lease its user holds on what it reads or writes (if any). */
export interface ContentStore {
  bucket: R2Bucket;
  lease?: ContentLease;
}

export function contentStore(bucket: R2Bucket, lease?: ContentLease): ContentStore {
  return lease ? { bucket, lease } : { bucket };
}

/**
 * Contents this isolate leased and saw in R2, with the lease's end: until then the object is
 * there without asking (the warm path costs no I/O). Bounded by entries.
 */
const verified = new Map<string, number>();
const VERIFIED_MAX = 50_000;
/** A lease ending within this margin of what is needed is renewed. */
const LEASE_SLACK_MS = 3_600_000;

function isVerified(store: ContentStore, hex: string): boolean {
  if (!store.lease) return false;
  return (verified.get(hex) ?? 0) + LEASE_SLACK_MS >= store.lease.until;
}

function markVerified(store: ContentStore, hex: string): void {
  if (!store.lease) return;
  if (verified.size >= VERIFIED_MAX) verified.clear();
  verified.set(hex, Math.max(verified.get(hex) ?? 0, store.lease.until));
}

/** Forgets what this isolate verified (after a sweep in the same isolate; tests). */
export function forgetVerifiedContent(): void {
  verified.clear();
}

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

/**
 * Keeps the inline files of a tree (those not already stored); returns how many were written.
 * With a lease, memory is trusted only for contents leased and seen in R2 (see `verified`).
 */
export async function rememberContent(
  store: ContentStore,
  files: ReadonlyMap<string, StoredEntry>,
): Promise<number> {
  let written = 0;
  await Promise.all(
    [...files.values()].map(async (entry) => {
      if (!("content" in entry)) return;
      const etag = `sha256:${await contentDigest(entry.content)}`;
      const hex = etag.slice("sha256:".length);
      if (store.lease) {
        if (!isVerified(store, hex)) {
          await store.lease.take([hex], store.lease.until);
          if ((await store.bucket.head(keyOf(etag))) === null) {
            await store.bucket.put(keyOf(etag), entry.content);
            written++;
          }
          markVerified(store, hex);
        }
      } else {
        const known = recall(etag) !== undefined || (await store.bucket.head(keyOf(etag))) !== null;
        if (!known) {
          await store.bucket.put(keyOf(etag), entry.content);
          written++;
        }
      }
      remember(etag, entry.content);
    }),
  );
  return written;
}

/** The resolver the planner uses for etags the job itself does not hold. */
export function storeResolver(store: ContentStore): (etag: string) => Promise<string | undefined> {
  return async (etag) => {
    const hex = etag.slice("sha256:".length);
    const hit = recall(etag);
    if (hit !== undefined && (!store.lease || isVerified(store, hex))) return hit;
    if (store.lease) await store.lease.take([hex], store.lease.until);
    const object = await store.bucket.get(keyOf(etag));
    if (!object) {
      // Collected while this isolate still held the bytes (their key is their hash): put back.
      if (hit === undefined || !store.lease) return undefined;
      await store.bucket.put(keyOf(etag), hit);
      markVerified(store, hex);
      return hit;
    }
    const text = await object.text();
    markVerified(store, hex);
    remember(etag, text);
    return text;
  };
}
