// The jobs side of the planner: validate a part, plan a whole job. Planner errors are AppErrors
// (422, or 413 for size limits) and travel back to the caller as they are.

import { AppError } from "../errors.ts";
import { validateTree } from "../planner/tree.ts";
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

/** Checks that the whole tree plans with this head (throws the planner's error otherwise). */
export async function checkPlan(
  tree: Record<string, StoredEntry>,
  headPath: string,
): Promise<void> {
  const part = validatePart(tree);
  if (!part.files.has(headPath)) {
    throw new AppError(
      422,
      "unknown_head",
      `head_path ${JSON.stringify(headPath)} is not a file of the tree`,
      {
        path: headPath,
      },
    );
  }
}
