// Public job ids are derived from (user_id, request_id), so an idempotent retry of a create lands on
// the same Durable Object without any lookup table.
import { IsolateCache, stringBytes } from "../limits/isolate-cache.ts";

const encoder = new TextEncoder();

export function toHex(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let out = "";
  for (const b of view) out += b.toString(16).padStart(2, "0");
  return out;
}

export async function sha256Hex(text: string): Promise<string> {
  return toHex(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

/** 32 hex characters: the first 128 bits of SHA-256(user_id NUL request_id). */
export async function jobIdFor(userId: string, requestId: string): Promise<string> {
  return (await sha256Hex(`sql-runner job\0${userId}\0${requestId}`)).slice(0, 32);
}

export const JOB_ID_PATTERN = /^[0-9a-f]{32}$/;

/** JSON with object keys sorted, so two equal bodies give the same digest. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

/** Digests of big contents; the contents themselves are the keys (part of the isolate's budget). */
const recentDigests = new IsolateCache<string, Promise<string>>((content) => stringBytes(content));

/**
 * SHA-256 hex of a file's content, memoized for big contents: one create hashes the same big
 * string for several purposes (V8 caches a string's hash, so looking a 3 MB string up is cheap).
 */
export function contentDigest(text: string): Promise<string> {
  if (text.length < 4096) return sha256Hex(text);
  const known = recentDigests.get(text);
  if (known) return known;
  const digest = sha256Hex(text);
  recentDigests.set(text, digest);
  return digest;
}

/** SHA-256 hex of a file's content (`contentDigest`, or one call's `digestOnce`). */
export type Digest = (text: string) => Promise<string>;

/**
 * The digests of one create, append or run: each distinct content is hashed once, whichever step
 * asks (the idempotency digest, the file rows, the planner, the content store), small contents
 * included (`contentDigest` only remembers big ones across calls). Lives as long as the call.
 */
export function digestOnce(): Digest {
  const known = new Map<string, Promise<string>>();
  return (text) => {
    let digest = known.get(text);
    if (!digest) {
      digest = contentDigest(text);
      known.set(text, digest);
    }
    return digest;
  };
}
