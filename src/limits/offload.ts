// A create or append whose inline files would not fit one Worker -> Durable Object RPC (32 MiB)
// is stored in parts before it reaches the object: the largest files go to the content store
// first (the same store `{ etag }` entries resolve from) and cross as their etag; small files
// only when the big ones alone do not make room. The choice
// depends only on the tree, so a retried identical body crosses in the same form (and keeps the
// same idempotency digest).

import { AppError } from "../errors.ts";
import { type ContentStore, rememberContent } from "../jobs/content-store.ts";
import { digestOnce } from "../jobs/job-id.ts";
import type { ProjectTree } from "../jobs/job-input.ts";
import { BODY_LIMITS } from "./limits.ts";

type Entry = ProjectTree[string];

function inlineText(entry: Entry): string | null {
  if (typeof entry === "string") return entry;
  return "content" in entry ? entry.content : null;
}

/**
 * Paths to move out of `tree`, largest first, until the rest fits `budget` characters; at most
 * `maxFiles` of them. A tree that would still not fit is refused (413) before anything is stored:
 * its many small files should cross as etags (`PUT /v1/blobs`), which the client can do.
 */
export function filesToOffload(
  tree: ProjectTree,
  budget: number = BODY_LIMITS.maxRpcContentChars,
  maxFiles: number = BODY_LIMITS.maxOffloadFiles,
): string[] {
  let total = 0;
  const candidates: { path: string; chars: number }[] = [];
  for (const [path, entry] of Object.entries(tree)) {
    const text = inlineText(entry);
    if (text === null) continue;
    total += text.length;
    candidates.push({ path, chars: text.length });
  }
  if (total <= budget) return [];
  candidates.sort((a, b) => b.chars - a.chars || (a.path < b.path ? -1 : 1));
  const out: string[] = [];
  for (const c of candidates) {
    if (total <= budget || out.length === maxFiles) break;
    out.push(c.path);
    total -= c.chars;
  }
  if (total > budget) {
    throw new AppError(
      413,
      "payload_too_large",
      `the project's inline files do not fit one request to its job (${budget} characters) even with its ${maxFiles} largest files stored apart; upload files with PUT /v1/blobs/sha256:<hex> and send them as { etag }`,
      { limit_name: "inline_content_chars", limit: budget },
    );
  }
  return out;
}

/** `tree` with its largest inline files stored in `store` and replaced by their etags. */
export async function offloadTree(
  tree: ProjectTree | undefined,
  store: ContentStore,
): Promise<ProjectTree | undefined> {
  if (!tree) return tree;
  const paths = filesToOffload(tree);
  if (paths.length === 0) return tree;
  const moved = new Map<string, Entry>();
  // One hash per file: storing it and naming it by etag use the same digest.
  const hash = digestOnce();
  for (const path of paths) {
    const text = inlineText(tree[path] as Entry) ?? "";
    await rememberContent(store, new Map([[path, { content: text }]]), hash);
    moved.set(path, { etag: `sha256:${await hash(text)}` });
  }
  // fromEntries defines own properties (a "__proto__" path stays a path) on a plain object, which
  // the RPC can serialize (a null-prototype object it cannot).
  return Object.fromEntries(
    Object.entries(tree).map(([path, entry]) => [path, moved.get(path) ?? entry]),
  );
}
