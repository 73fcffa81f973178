// The content-addressed file store behind `{ "etag": "sha256:<hex>" }` tree entries: every inline
// file a job receives (and every blob uploaded by `PUT /v1/blobs/...`) is kept once in R2 under its
// SHA-256, so a later job can send the etag instead of the bytes. The bytes are shared, the right
// to name them is not: with a lease for a user (`ContentLease.owner`), an etag resolves only for a
// user who sent that content themselves, so an etag of another user's file is `unknown_etag`
// exactly like one nobody sent (docs/security.md, "Content by etag"). The store never lists keys.
import { IsolateCache, stringBytes } from "../limits/isolate-cache.ts";
import { LeaseMemo } from "../limits/lease-memo.ts";
import { contentDigest, type Digest } from "./job-id.ts";
import type { StoredEntry } from "./job-store.ts";

/**
 * A lease on contents in the store's GC index (src/lifecycle/content-keep.ts): content leased
 * until `until` is not collected before then. Taken before a content is looked up, so a sweep
 * deleting it at the same moment either comes first (and the lookup sees it missing and writes it
 * again) or after (and finds it kept).
 */
export interface ContentLease {
  until: number;
  /** The user the lease is for: what they `take` they hold; they `claim` only what they hold. */
  owner?: string;
  /** Leases contents without recording that anyone holds them (before an upload is verified). */
  reserve(hexes: string[], until: number): Promise<void>;
  /** Leases contents this user sent (inline or uploaded), and records that they hold them. */
  take(hexes: string[], until: number): Promise<void>;
  /** The contents among `hexes` this user holds, leased until `until`; the rest are not leased. */
  claim(hexes: string[], until: number): Promise<Set<string>>;
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
 * there without asking (the warm path costs no I/O). Bounded by entries (the least recently
 * written goes first).
 */
export const VERIFIED_MAX = 50_000;
const verified = new LeaseMemo(VERIFIED_MAX);
/** A lease ending within this margin of what is needed is renewed. */
const LEASE_SLACK_MS = 3_600_000;

/** Per user: one user's lease says nothing about another's right to the content. */
function verifiedKey(lease: ContentLease, hex: string): string {
  return `${lease.owner ?? ""}\u0000${hex}`;
}

function isVerified(store: ContentStore, hex: string): boolean {
  if (!store.lease) return false;
  const key = verifiedKey(store.lease, hex);
  return verified.get(key) + LEASE_SLACK_MS >= store.lease.until;
}

function markVerified(store: ContentStore, hex: string): void {
  if (!store.lease) return;
  const key = verifiedKey(store.lease, hex);
  verified.set(key, store.lease.until);
}

/** Forgets what this isolate verified (after a sweep in the same isolate; tests). */
export function forgetVerifiedContent(): void {
  verified.clear();
}

/**
 * Recently used contents, per isolate (the Durable Objects of one isolate share it), so a hot
 * tail sent by etag is not read from R2 on every job. Part of the isolate's one cache budget.
 */
const cache = new IsolateCache<string, string>((_etag, text) => stringBytes(text));

function remember(etag: string, text: string): void {
  cache.set(etag, text);
}

function recall(etag: string): string | undefined {
  return cache.get(etag);
}

/** The R2 key of a content, from its etag (`sha256:<hex>`). */
export function keyOf(etag: string): string {
  return `sha256/${etag.slice("sha256:".length)}`;
}

/**
 * Keeps the inline files of a tree (those not already stored); returns how many were written.
 * With a lease, memory is trusted only for contents leased and seen in R2 (see `verified`).
 */
export async function rememberContent(
  store: ContentStore,
  files: ReadonlyMap<string, StoredEntry>,
  digest: Digest = contentDigest,
): Promise<number> {
  let written = 0;
  await Promise.all(
    [...files.values()].map(async (entry) => {
      if (!("content" in entry)) return;
      const etag = `sha256:${await digest(entry.content)}`;
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
    if (store.lease) {
      // Not held by this user: answered as if nobody had sent it.
      const held = await store.lease.claim([hex], store.lease.until);
      if (!held.has(hex)) return undefined;
    }
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
