// The lease a job (or the edge, for files it offloads) holds on the contents it reads and writes:
// until its own expiry plus the grace period (docs/lifecycle.md, "Content store leases").
import type { ContentLease, ContentStore } from "../jobs/content-store.ts";
import { contentStore } from "../jobs/content-store.ts";
import { graceMs, hexOf, keepContent } from "./content-keep.ts";

export type LeaseEnv = Pick<Env, "FILES" | "FILE_INDEX" | "FILES_GRACE_SECONDS">;

export function contentLease(env: LeaseEnv, expiresAt: number): ContentLease {
  const shard = (name: string) => env.FILE_INDEX.get(env.FILE_INDEX.idFromName(name));
  return {
    until: expiresAt + graceMs(env.FILES_GRACE_SECONDS),
    take: (hexes, until) => keepContent(shard, hexes.map(hexOf), until),
  };
}

/** The content store as a job that lives until `expiresAt` uses it. */
export function leasedContent(env: LeaseEnv, expiresAt: number): ContentStore {
  return contentStore(env.FILES, contentLease(env, expiresAt));
}
