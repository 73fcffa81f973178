// Path rules of a project tree: relative POSIX paths, well-formed Unicode normalized to NFC, no
// empty / "." / ".." segments, no leading "/", no backslash, no control characters.
/// <reference lib="es2024.string" />
import { PlannerError, quote } from "./errors.ts";
import type { PlannerLimits } from "./limits.ts";

// C0 controls (NUL included), DEL and C1 controls.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

const encoder = new TextEncoder();
const NON_ASCII = /[\u0080-\uffff]/;

/**
 * The NFC form of `raw` if it is a valid tree path, else a PlannerError naming `raw`.
 * `limits` adds the length and depth checks.
 */
export function normalizePath(
  raw: string,
  limits?: Pick<PlannerLimits, "maxPathBytes" | "maxDepth">,
): string {
  const invalid = (why: string) =>
    new PlannerError("invalid_path", raw, `path ${quote(raw)} is invalid: ${why}`);
  if (raw.length === 0) throw invalid("it is empty");
  if (!raw.isWellFormed()) throw invalid("it is not valid Unicode (lone surrogate)");
  if (CONTROL.test(raw)) throw invalid("it contains a NUL or control character");
  if (raw.includes("\\")) throw invalid("it contains a backslash (use / between folders)");
  if (raw.startsWith("/")) throw invalid("it must be relative (no leading /)");
  // ASCII is already NFC and one byte per character: skip the Unicode work for the common case.
  const ascii = !NON_ASCII.test(raw);
  const path = ascii ? raw : raw.normalize("NFC");
  const segments = path.split("/");
  for (const segment of segments) {
    if (segment === "") throw invalid("it has an empty segment (// or a trailing /)");
    if (segment === "." || segment === "..") throw invalid(`it has a "${segment}" segment`);
  }
  if (limits) {
    const bytes = ascii ? path.length : encoder.encode(path).byteLength;
    if (bytes > limits.maxPathBytes) {
      throw new PlannerError(
        "path_too_long",
        raw,
        `path ${quote(raw)} is ${bytes} bytes long, more than the limit of ${limits.maxPathBytes}`,
      );
    }
    if (segments.length > limits.maxDepth) {
      throw new PlannerError(
        "path_too_deep",
        raw,
        `path ${quote(raw)} is ${segments.length} levels deep, more than the limit of ${limits.maxDepth}`,
      );
    }
  }
  return path;
}

/** Folder of a normalized path, "" at the root. */
export function dirname(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "" : path.slice(0, slash);
}

/**
 * Resolves an include target against `base` ("" = project root) inside the tree: "." and empty
 * segments vanish, ".." pops a folder. Undefined when the target is absolute or climbs above the
 * root, i.e. it cannot name a file of the tree.
 */
export function resolveInside(base: string, target: string): string | undefined {
  if (target.startsWith("/") || target.includes("\\") || target.length === 0) return undefined;
  const parts = base === "" ? [] : base.split("/");
  for (const segment of target.normalize("NFC").split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      if (parts.length === 0) return undefined;
      parts.pop();
    } else {
      parts.push(segment);
    }
  }
  return parts.length === 0 ? undefined : parts.join("/");
}
