// Offsets to line:column. Columns count characters (code points), as PostgreSQL and editors do.
import type { SourceLocation } from "./errors.ts";

export class LineIndex {
  private readonly starts: number[] = [0];
  private readonly text: string;

  constructor(text: string) {
    this.text = text;
    for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) this.starts.push(i + 1);
  }

  /** 1-based line and column of a UTF-16 offset. */
  locate(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    const lineStart = this.starts[lo]!;
    return { line: lo + 1, column: codePointLength(this.text.slice(lineStart, offset)) + 1 };
  }
}

export function codePointLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) i++;
    n++;
  }
  return n;
}

/** UTF-16 offset of the character with 0-based code point index `cp` in `s` (clamped to the end). */
export function offsetOfCodePoint(s: string, cp: number): number {
  let i = 0;
  for (let k = 0; k < cp && i < s.length; k++) {
    const c = s.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < s.length ? 2 : 1;
  }
  return i;
}

/**
 * A piece of statement text and where it came from. Verbatim pieces map character for character;
 * an interpolated variable maps every character to the variable reference in the source.
 */
export interface Segment {
  text: string;
  file: string;
  /** Source offset of the segment's first character. */
  offset: number;
  verbatim: boolean;
}

export type Locator = (file: string, offset: number) => SourceLocation;

/** Location of the UTF-16 offset `at` inside the text formed by concatenating `segments`. */
export function locateInSegments(
  segments: readonly Segment[],
  at: number,
  locate: Locator,
): SourceLocation | undefined {
  let base = 0;
  let last: Segment | undefined;
  for (const seg of segments) {
    if (at < base + seg.text.length) {
      return locate(seg.file, seg.verbatim ? seg.offset + (at - base) : seg.offset);
    }
    base += seg.text.length;
    last = seg;
  }
  if (!last) return undefined;
  return locate(last.file, last.verbatim ? last.offset + last.text.length : last.offset);
}
