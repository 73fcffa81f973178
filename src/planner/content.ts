// Content normalization at ingest: one leading BOM is dropped and CRLF / lone CR become LF. The
// normalized text is both what is hashed and what is executed, so two files that are equal after
// normalization really run the same (and an editor switching line endings keeps the cache).
// Two equivalent forms: on a string (normalizeContent) and in place on UTF-8 bytes
// (normalizeUtf8InPlace, what the planner uses: memchr-speed scans, no UTF-16 round trip).
/// <reference lib="es2024.string" />
import { PlannerError, quote } from "./errors.ts";

const BOM = 0xfeff;
const CR = 13;
const LF = 10;

/**
 * Rejects text PostgreSQL could not execute anyway: lone UTF-16 surrogates (not UTF-8) and NUL
 * characters. (String searches: V8 scans one-byte strings with memchr, several times faster than
 * Uint8Array.prototype.indexOf.)
 */
export function checkContent(path: string, text: string): void {
  if (!text.isWellFormed()) {
    throw new PlannerError(
      "invalid_content",
      path,
      `file ${quote(path)} is not valid UTF-8 text (it holds a lone surrogate)`,
    );
  }
  if (text.includes("\u0000")) {
    const line = text.slice(0, text.indexOf("\u0000")).replace(/\r\n?/g, "\n").split("\n").length;
    throw new PlannerError(
      "invalid_content",
      path,
      `file ${quote(path)} holds a NUL character on line ${line}; PostgreSQL cannot run it`,
      { line },
    );
  }
}

/** checkContent, then the normalized text. */
export function normalizeContent(path: string, text: string): string {
  checkContent(path, text);
  return normalizeText(text);
}

/** The normalized text, without checkContent (for text already checked). */
export function normalizeText(text: string): string {
  let out = text.charCodeAt(0) === BOM ? text.slice(1) : text;
  // replaceAll with a plain string is faster than a regex replace on big files.
  if (out.includes("\r")) {
    out = out.replaceAll("\r\n", "\n");
    if (out.includes("\r")) out = out.replaceAll("\r", "\n");
  }
  return out;
}

/** Whether normalization changes `text`: it starts with a BOM or holds a CR. */
export function needsNormalization(text: string): boolean {
  return text.charCodeAt(0) === BOM || text.includes("\r");
}

function hasBom(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
}

/**
 * The same normalization on UTF-8 bytes, compacting them in place (the result is a view of the
 * same buffer). CR and LF are ASCII and never occur inside a multi-byte UTF-8 sequence, so this
 * equals encoding normalizeContent's result.
 */
export function normalizeUtf8InPlace(bytes: Uint8Array): Uint8Array {
  let read = hasBom(bytes) ? 3 : 0;
  let write = 0;
  for (;;) {
    const cr = bytes.indexOf(CR, read);
    const end = cr < 0 ? bytes.length : cr;
    bytes.copyWithin(write, read, end);
    write += end - read;
    if (cr < 0) break;
    bytes[write++] = LF;
    read = bytes[cr + 1] === LF ? cr + 2 : cr + 1;
  }
  return bytes.subarray(0, write);
}
