// The content-addressed file store behind `{ "etag": "sha256:<hex>" }` tree entries: every inline
// file a job receives is kept in R2 under its SHA-256, so a later job (of any user) can send the
// etag instead of the bytes. Knowing an etag means knowing the content's hash, which in practice
// means having the content; the store never lists keys.
import { sha256Hex } from "./job-id.ts";
import type { StoredEntry } from "./job-store.ts";

export type ContentStore = R2Bucket;

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
      const key = keyOf(`sha256:${await sha256Hex(entry.content)}`);
      if (await store.head(key)) return;
      await store.put(key, entry.content);
      written++;
    }),
  );
  return written;
}

/** The resolver the planner uses for etags the job itself does not hold. */
export function storeResolver(store: ContentStore): (etag: string) => Promise<string | undefined> {
  return async (etag) => {
    const object = await store.get(keyOf(etag));
    return object ? object.text() : undefined;
  };
}
