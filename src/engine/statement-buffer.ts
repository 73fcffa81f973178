// The statement being collected while a psql script is expanded: its tokens as runs of source
// text or interpolated values (so error positions map back to file:line:column), where it
// starts, its leading words at parenthesis depth 0 (what kind of statement it is) and where its
// last significant token ends. expand.ts feeds it tokens and cuts it at psql's boundaries.

import { isCopyFromStdin } from "./copy-inline-data.ts";
import type { SourceLocation } from "./errors.ts";
import type { Token } from "./lexer.ts";
import type { Locator, Segment } from "./source-map.ts";

/** A run of source text (`text` undefined) or an interpolated value, before the statement is cut. */
interface PendingSegment {
  file: string;
  offset: number;
  end: number;
  text?: string;
}

/** Leading words kept per statement: enough to tell COPY, CREATE DATABASE... apart. */
const MAX_WORDS = 32;

export class StatementBuffer {
  segments: PendingSegment[] = [];
  hasContent = false;
  start: SourceLocation | undefined;
  words: string[] = [];
  depth = 0;
  /** End of the last token that is not whitespace or a -- comment: [segment index, length]. */
  sigEnd: [number, number] = [0, 0];
  /**
   * `a \; b` is one query of two statements to the server (one result, one COPY data block each):
   * the parts ended so far that hold a statement, the COPY FROM stdin among them, and the words
   * of the part being collected.
   */
  private partsDone = 0;
  private copiesDone = 0;
  private partWords: string[] = [];
  private partHasContent = false;

  /** Adds a token to the statement; `replacement` marks interpolated (non-verbatim) text. */
  append(tok: Token, path: string, locate: Locator, replacement?: string): void {
    const kind = tok.kind;
    const ignorable = kind === "space" || kind === "line_comment";
    // psql drops whitespace and -- comments before a statement starts.
    if (!this.hasContent && ignorable) return;
    if (!ignorable && kind !== "block_comment") {
      if (!this.hasContent || this.start === undefined) this.start = locate(path, tok.start);
      if (kind !== "semicolon") this.hasContent = true;
    }
    if (kind === "escaped" && tok.text === "\\;" && this.depth === 0) this.endPart();
    else if (!ignorable && kind !== "block_comment" && kind !== "semicolon") {
      this.partHasContent = true;
    }
    if (kind === "other") {
      if (tok.end - tok.start === 1 || replacement !== undefined) {
        const t = replacement ?? tok.text;
        if (t === "(") this.depth++;
        else if (t === ")" && this.depth > 0) this.depth--;
      }
    } else if (kind === "word" && this.depth === 0) {
      const word = (replacement ?? tok.text).toLowerCase();
      if (this.words.length < MAX_WORDS) this.words.push(word);
      if (this.partWords.length < MAX_WORDS) this.partWords.push(word);
    }
    const segs = this.segments;
    const last = segs.at(-1);
    if (replacement !== undefined) {
      segs.push({ file: path, offset: tok.start, end: tok.end, text: replacement });
    } else if (last && last.text === undefined && last.file === path && last.end === tok.start) {
      last.end = tok.end;
    } else {
      segs.push({ file: path, offset: tok.start, end: tok.end });
    }
    if (!ignorable) {
      const l = segs.at(-1)!;
      this.sigEnd = [segs.length - 1, l.text === undefined ? l.end : l.text.length];
    }
  }

  /**
   * The statement's segments with their text, up to its last significant token: trailing
   * whitespace and -- comments of a statement cut at the end of a file are not part of it.
   */
  cut(files: ReadonlyMap<string, string>): Segment[] {
    const [lastIndex, lastEnd] = this.sigEnd;
    const segs: Segment[] = [];
    for (let i = 0; i <= lastIndex; i++) {
      const p = this.segments[i]!;
      const isLast = i === lastIndex;
      if (p.text === undefined) {
        const src = files.get(p.file) ?? "";
        const text = src.slice(p.offset, isLast ? lastEnd : p.end);
        segs.push({ text, file: p.file, offset: p.offset, verbatim: true });
      } else {
        const text = isLast ? p.text.slice(0, lastEnd) : p.text;
        segs.push({ text, file: p.file, offset: p.offset, verbatim: false });
      }
    }
    return segs;
  }

  private endPart(): void {
    if (this.partHasContent) this.partsDone++;
    if (isCopyFromStdin(this.partWords)) this.copiesDone++;
    this.partWords = [];
    this.partHasContent = false;
  }

  /** The server statements in the buffer (parts split by `\;`), and how many are COPY FROM stdin. */
  parts(): { statements: number; copiesFromStdin: number } {
    const last = this.partHasContent ? 1 : 0;
    const lastCopy = isCopyFromStdin(this.partWords) ? 1 : 0;
    return {
      statements: this.partsDone + last,
      copiesFromStdin: this.copiesDone + lastCopy,
    };
  }

  /** The statement text collected so far (for `\p`). */
  text(files: ReadonlyMap<string, string>): string {
    return this.segments
      .map((p) => p.text ?? (files.get(p.file) ?? "").slice(p.offset, p.end))
      .join("");
  }

  reset(): void {
    this.segments = [];
    this.hasContent = false;
    this.start = undefined;
    this.words = [];
    this.depth = 0;
    this.sigEnd = [0, 0];
    this.partsDone = 0;
    this.copiesDone = 0;
    this.partWords = [];
    this.partHasContent = false;
  }
}
