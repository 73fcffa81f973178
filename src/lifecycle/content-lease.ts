// The lease a job (or the edge, for files it offloads) holds on the contents it reads and writes:
// until its own expiry plus the grace period (docs/lifecycle.md, "Content store leases"), for the
// job's user: what they send they hold, and only what they hold can they name by etag.
import type { ContentLease, ContentStore } from "../jobs/content-store.ts";
import { contentStore } from "../jobs/content-store.ts";
import { claimContent, graceMs, hexOf, keepContent } from "./content-keep.ts";

export type LeaseEnv = Pick<Env, "FILES" | "FILE_INDEX" | "FILES_GRACE_SECONDS">;

/** The lease of `owner` (the job's user) on content needed until `expiresAt` (plus the grace). */
export function contentLease(env: LeaseEnv, expiresAt: number, owner: string): ContentLease {
  const shard = (name: string) => env.FILE_INDEX.get(env.FILE_INDEX.idFromName(name));
  return {
    until: expiresAt + graceMs(env.FILES_GRACE_SECONDS),
    owner,
    reserve: (hexes, until) => keepContent(shard, hexes.map(hexOf), until),
    take: (hexes, until) => keepContent(shard, hexes.map(hexOf), until, owner),
    claim: (hexes, until) => claimContent(shard, hexes.map(hexOf), until, owner),
  };
}

/** The content store as a job of `owner` that lives until `expiresAt` uses it. */
export function leasedContent(env: LeaseEnv, expiresAt: number, owner: string): ContentStore {
  return contentStore(env.FILES, contentLease(env, expiresAt, owner));
}
