// The project tree as sent by a client: path -> text | { content } | { etag }. validateTree runs
// the cheap synchronous checks (entry shapes, path rules, conflicts, limits on inline content) so
// the jobs API can reject a bad part at append time; planJob runs them again on the whole tree.
import { PlannerError, quote } from "./errors.ts";
import { type PlannerLimits, resolveLimits } from "./limits.ts";
import { normalizePath } from "./paths.ts";

export type EtagEntry = { etag: string };
export type FileEntry = string | { content: string } | EtagEntry;
/** A plain object (e.g. from JSON.parse) or a Map; keys are paths. */
export type ProjectTree = Readonly<Record<string, FileEntry>> | ReadonlyMap<string, FileEntry>;
/** Content of a file the service already holds, by its `sha256:<hex>` etag; undefined if unknown. */
export type EtagResolver = (etag: string) => Promise<string | undefined>;

export const ETAG_PATTERN = /^sha256:[0-9a-f]{64}$/;

export interface ValidatedTree {
  /** Normalized path -> inline text or etag, sorted by the paths as sent. */
  entries: Map<string, string | EtagEntry>;
  /** UTF-8 bytes of the inline files (0 when not measured). */
  inlineBytes: number;
}

const encoder = new TextEncoder();

const NON_ASCII = /[\u0080-\uffff]/;

/** UTF-8 length of a string; encodes only when it holds non-ASCII characters. */
export function utf8Bytes(text: string): number {
  return NON_ASCII.test(text) ? encoder.encode(text).byteLength : text.length;
}

/** The tree's entries as [path, entry] pairs; own keys only, so `__proto__` is just a file. */
function entriesOf(tree: ProjectTree): [string, unknown][] {
  if (tree instanceof Map) return [...tree.entries()];
  if (typeof tree !== "object" || tree === null || Array.isArray(tree)) {
    throw new PlannerError(
      "empty_tree",
      "",
      "project_tree must be an object mapping paths to files",
    );
  }
  return Object.entries(tree);
}

function parseEntry(path: string, value: unknown): string | EtagEntry {
  if (typeof value === "string") return value;
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const keys = Object.keys(value);
    const record = value as Record<string, unknown>;
    if (keys.length === 1 && keys[0] === "content" && typeof record.content === "string") {
      return record.content;
    }
    if (keys.length === 1 && keys[0] === "etag" && typeof record.etag === "string") {
      if (!ETAG_PATTERN.test(record.etag)) {
        throw new PlannerError(
          "invalid_file",
          path,
          `file ${quote(path)} has etag ${quote(record.etag)}; expected "sha256:" and 64 lowercase hex digits`,
        );
      }
      return { etag: record.etag };
    }
  }
  throw new PlannerError(
    "invalid_file",
    path,
    `file ${quote(path)} must be a string, { "content": string } or { "etag": "sha256:<hex>" }`,
  );
}

export function checkFileBytes(path: string, bytes: number, limits: PlannerLimits): void {
  if (bytes > limits.maxFileBytes) {
    throw new PlannerError(
      "file_too_large",
      path,
      `file ${quote(path)} is ${bytes} bytes, more than the limit of ${limits.maxFileBytes}`,
    );
  }
}

export function checkTotalBytes(path: string, total: number, limits: PlannerLimits): void {
  if (total > limits.maxTotalBytes) {
    throw new PlannerError(
      "project_too_large",
      path,
      `project exceeds ${limits.maxTotalBytes} bytes in all at file ${quote(path)} (${total} bytes so far)`,
    );
  }
}

/**
 * Checks everything that needs no etag resolution. Throws the first PlannerError found; checks
 * run in a fixed order (count, then each path in sorted order) so the same tree always gives the
 * same error whatever its key order.
 */
export function validateTree(tree: ProjectTree, limits?: Partial<PlannerLimits>): ValidatedTree {
  return checkTree(tree, resolveLimits(limits), true);
}

/** validateTree, optionally without measuring inline files (planJob measures the encoded bytes). */
export function checkTree(
  tree: ProjectTree,
  effective: PlannerLimits,
  measureInline: boolean,
): ValidatedTree {
  const raw = entriesOf(tree);
  if (raw.length === 0) {
    throw new PlannerError("empty_tree", "", "project_tree is empty: send at least one .sql file");
  }
  raw.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  if (raw.length > effective.maxFiles) {
    const first = raw[effective.maxFiles]![0];
    throw new PlannerError(
      "too_many_files",
      first,
      `project_tree has ${raw.length} files, more than the limit of ${effective.maxFiles} (from ${quote(first)} on)`,
    );
  }
  const entries = new Map<string, string | EtagEntry>();
  const original = new Map<string, string>();
  let inlineBytes = 0;
  for (const [rawPath, value] of raw) {
    const path = normalizePath(rawPath, effective);
    const clash = original.get(path);
    if (clash !== undefined) {
      throw new PlannerError(
        "path_conflict",
        rawPath,
        `paths ${quote(clash)} and ${quote(rawPath)} are the same file after Unicode NFC normalization`,
      );
    }
    original.set(path, rawPath);
    const entry = parseEntry(rawPath, value);
    if (measureInline && typeof entry === "string") {
      const bytes = utf8Bytes(entry);
      checkFileBytes(rawPath, bytes, effective);
      inlineBytes += bytes;
      checkTotalBytes(rawPath, inlineBytes, effective);
    }
    entries.set(path, entry);
  }
  checkFolderConflicts(original);
  return { entries, inlineBytes };
}

/** `a` and `a/b.sql` cannot both exist: `a` would be a file and a folder. */
function checkFolderConflicts(original: ReadonlyMap<string, string>): void {
  for (const [path, rawPath] of original) {
    for (let slash = path.indexOf("/"); slash >= 0; slash = path.indexOf("/", slash + 1)) {
      const folder = path.slice(0, slash);
      const file = original.get(folder);
      if (file !== undefined) {
        throw new PlannerError(
          "path_conflict",
          rawPath,
          `path ${quote(rawPath)} needs ${quote(folder)} to be a folder, but ${quote(file)} is a file`,
        );
      }
    }
  }
}
