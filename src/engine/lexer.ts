// psql's lexing rules as a pure function: text in, tokens (with offsets) out. Every character of the
// input belongs to exactly one token, so joining the token texts gives the input back.
// It follows psqlscan.l: quotes, E'' escapes, dollar quoting, nested comments, psql variables,
// backslash meta-commands, paren depth and the CREATE FUNCTION ... BEGIN ATOMIC ... END heuristic
// for which `;` ends a statement, and COPY ... FROM stdin inline data up to `\.`.

import { isCopyFromStdin, lexCopyData } from "./copy-inline-data.ts";

export type TokenKind =
  | "space"
  | "line_comment"
  | "block_comment"
  | "string"
  | "quoted_ident"
  | "dollar"
  | "variable"
  | "word"
  | "other"
  | "semicolon"
  | "meta"
  | "copy_data"
  /** `\\;` or `\\:`: psql puts a literal `;` / `:` into the query buffer (no statement end). */
  | "escaped";

/** How a psql variable is written: `:name`, `:'name'`, `:"name"`, `:{?name}`. */
export type VariableForm = "plain" | "literal" | "ident" | "defined";

export interface Token {
  kind: TokenKind;
  /** Offset of the first character in the input (UTF-16 code units). */
  readonly start: number;
  /** Offset just past the last character. */
  readonly end: number;
  readonly text: string;
  /** For `variable` tokens. */
  variable?: { name: string; form: VariableForm };
}

/** Tokens keep a reference to the input and slice their text on demand (less garbage). */
class SourceToken implements Token {
  kind: TokenKind;
  readonly start: number;
  readonly end: number;
  variable?: { name: string; form: VariableForm };
  private readonly source: string;

  constructor(kind: TokenKind, start: number, end: number, source: string) {
    this.kind = kind;
    this.start = start;
    this.end = end;
    this.source = source;
  }

  get text(): string {
    return this.source.slice(this.start, this.end);
  }
}

const COPY_META_STDIN = /^\\copy\s.*\bfrom\s+stdin\b/is;

const SPACE = new Set([32, 9, 10, 13, 12, 11]);

function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c >= 128;
}
function isIdentCont(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57) || c === 36;
}
function isVarChar(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Statement-level state psql keeps to decide whether a `;` ends the statement. */
interface StatementState {
  parenDepth: number;
  beginDepth: number;
  identifiers: string[];
  identifierCount: number;
  /** COPY ... FROM stdin detection over the top-level words of the statement. */
  words: string[];
}

function freshState(): StatementState {
  return { parenDepth: 0, beginDepth: 0, identifiers: [], identifierCount: 0, words: [] };
}

function trackWord(st: StatementState, source: string, start: number, end: number): void {
  const ids = st.identifiers;
  const keep = st.parenDepth === 0 && st.words.length < 64;
  // Slicing every word of a large file is the lexer's main cost: only look when it can matter.
  if (!keep && st.identifierCount >= 4 && ids[0] !== "c") {
    st.identifierCount++;
    return;
  }
  const w = source.slice(start, end).toLowerCase();
  if (keep) st.words.push(w);
  if (
    st.identifierCount < 4 &&
    (w === "create" || w === "function" || w === "procedure" || w === "or" || w === "replace")
  ) {
    st.identifiers[st.identifierCount] = w[0] ?? "";
  }
  st.identifierCount++;
  const inFunctionDef =
    ids[0] === "c" &&
    (ids[1] === "f" ||
      ids[1] === "p" ||
      (ids[1] === "o" && ids[2] === "r" && (ids[3] === "f" || ids[3] === "p")));
  if (inFunctionDef && st.parenDepth === 0) {
    if (w === "begin") st.beginDepth++;
    else if (w === "case") {
      if (st.beginDepth >= 1) st.beginDepth++;
    } else if (w === "end" && st.beginDepth > 0) st.beginDepth--;
  }
}

/** Splits `text` into tokens following psql's rules. Never throws: unterminated constructs run to EOF. */
export function lex(text: string, standardStrings?: () => boolean): Token[] {
  const tokens: Token[] = [];
  lexEach(
    text,
    (t) => {
      tokens.push(t);
    },
    standardStrings,
  );
  return tokens;
}

/**
 * Like lex(), but hands each token to `onToken` as it is found (tokens of a large file then die
 * young, which keeps the garbage collector cheap). Stops early when `onToken` returns false.
 */
export function lexEach(
  text: string,
  onToken: (t: Token) => unknown,
  standardStrings?: () => boolean,
): void {
  for (const t of lexTokens(text, undefined, standardStrings)) if (onToken(t) === false) return;
}

/**
 * The tokens of `text`, one at a time (a lazy lex(): the caller may stop early). With `copyGate`,
 * the data after a SQL `COPY ... FROM stdin` (starting at the offset given) is read as COPY data
 * only if the gate says so, asked when the lexer reaches it (the statement has run by then).
 * `standardStrings` is the server's standard_conforming_strings, asked at each `'...'` literal
 * as psql asks libpq after every query: when it answers false, a backslash in the literal escapes
 * the next character, as in E'...' (default: on, PostgreSQL's default since 9.1).
 */
export function* lexTokens(
  text: string,
  copyGate?: (dataStart: number) => boolean,
  standardStrings?: () => boolean,
): Generator<Token> {
  const n = text.length;
  let i = 0;
  let st = freshState();
  // COPY FROM stdin statements sent but not given their data yet: each takes the block after the
  // one before (`copy a from stdin \; copy b from stdin;` is followed by two blocks).
  let pendingCopy = 0;
  // Set by `\copy ... from stdin`, whose data is always the script's.
  let metaCopy = false;
  let ready: SourceToken[] = [];

  const push = (kind: TokenKind, start: number, end: number, variable?: Token["variable"]) => {
    const t = new SourceToken(kind, start, end, text);
    if (variable) t.variable = variable;
    ready.push(t);
  };

  while (i < n) {
    if (ready.length > 0) {
      yield* ready;
      ready = [];
    }
    const c = text.charCodeAt(i);
    const start = i;

    if (SPACE.has(c)) {
      while (i < n && SPACE.has(text.charCodeAt(i))) {
        const ch = text.charCodeAt(i);
        i++;
        if (ch === 10 && pendingCopy > 0) break;
      }
      push("space", start, i);
      if (pendingCopy > 0 && text.charCodeAt(i - 1) === 10) {
        const blocks = pendingCopy;
        const fromMeta = metaCopy;
        pendingCopy = 0;
        metaCopy = false;
        // A block the server did not ask for ends the query's data: the rest is SQL again.
        for (let b = 0; b < blocks; b++) {
          if (!fromMeta && copyGate !== undefined && !copyGate(i)) break;
          const dataEnd = lexCopyData(text, i);
          if (dataEnd > i) push("copy_data", i, dataEnd);
          i = dataEnd;
        }
      }
      continue;
    }

    if (c === 45 && text.charCodeAt(i + 1) === 45) {
      while (i < n && text.charCodeAt(i) !== 10) i++;
      push("line_comment", start, i);
      continue;
    }

    if (c === 47 && text.charCodeAt(i + 1) === 42) {
      let depth = 0;
      while (i < n) {
        if (text.charCodeAt(i) === 47 && text.charCodeAt(i + 1) === 42) {
          depth++;
          i += 2;
        } else if (text.charCodeAt(i) === 42 && text.charCodeAt(i + 1) === 47) {
          depth--;
          i += 2;
          if (depth === 0) break;
        } else i++;
      }
      push("block_comment", start, Math.min(i, n));
      continue;
    }

    if (c === 39) {
      const escapes = standardStrings !== undefined && !rawQuote(text, i) && !standardStrings();
      i = scanQuoted(text, i + 1, 39, escapes);
      push("string", start, i);
      continue;
    }

    if ((c === 69 || c === 101) && text.charCodeAt(i + 1) === 39 && !prevIsIdent(text, i)) {
      i = scanQuoted(text, i + 2, 39, true);
      push("string", start, i);
      continue;
    }

    if (c === 34) {
      i = scanQuoted(text, i + 1, 34, false);
      push("quoted_ident", start, i);
      continue;
    }

    if (c === 36 && !prevIsIdent(text, i)) {
      const tagEnd = dollarTagEnd(text, i);
      if (tagEnd > 0) {
        const tag = text.slice(i, tagEnd);
        const close = text.indexOf(tag, tagEnd);
        i = close < 0 ? n : close + tag.length;
        push("dollar", start, i);
        continue;
      }
      if (isDigit(text.charCodeAt(i + 1))) {
        i++;
        while (i < n && isDigit(text.charCodeAt(i))) i++;
        push("other", start, i);
        continue;
      }
    }

    if (c === 58) {
      const v = scanVariable(text, i);
      if (v) {
        push("variable", start, v.end, { name: v.name, form: v.form });
        i = v.end;
        continue;
      }
      // `::` is a cast and `:=` an assignment, never variables.
      i += text.charCodeAt(i + 1) === 58 || text.charCodeAt(i + 1) === 61 ? 2 : 1;
      push("other", start, i);
      continue;
    }

    if (c === 92 && (text.charCodeAt(i + 1) === 59 || text.charCodeAt(i + 1) === 58)) {
      i += 2;
      push("escaped", start, i);
      // After `\;` psql starts counting words of a new statement (CREATE FUNCTION heuristic).
      if (text.charCodeAt(start + 1) === 59) {
        if (isCopyFromStdin(st.words)) pendingCopy++;
        st = freshState();
      }
      continue;
    }

    if (c === 92) {
      while (i < n && text.charCodeAt(i) !== 10) i++;
      push("meta", start, i);
      // `\copy ... from stdin` reads its rows from the script, like COPY FROM stdin.
      if (COPY_META_STDIN.test(text.slice(start, i))) {
        pendingCopy = 1;
        metaCopy = true;
      }
      continue;
    }

    if (c === 59) {
      i++;
      if (st.parenDepth === 0 && st.beginDepth === 0) {
        push("semicolon", start, i);
        if (isCopyFromStdin(st.words)) pendingCopy++;
        st = freshState();
      } else push("other", start, i);
      continue;
    }

    if (isIdentStart(c)) {
      while (i < n && isIdentCont(text.charCodeAt(i))) i++;
      push("word", start, i);
      trackWord(st, text, start, i);
      continue;
    }

    if (isDigit(c)) {
      while (i < n && (isIdentCont(text.charCodeAt(i)) || text.charCodeAt(i) === 46)) i++;
      push("other", start, i);
      continue;
    }

    if (c === 40) st.parenDepth++;
    else if (c === 41 && st.parenDepth > 0) st.parenDepth--;
    i++;
    // Keep surrogate pairs together so no token splits a character.
    if (c >= 0xd800 && c <= 0xdbff && i < n) i++;
    push("other", start, i);
  }
  yield* ready;
}

function prevIsIdent(text: string, i: number): boolean {
  return i > 0 && isIdentCont(text.charCodeAt(i - 1));
}

/**
 * Whether the quote at `i` opens B'...', X'...' or U&'...', whose backslashes are never escapes
 * (psqlscan.l's xb, xh and xus states, whatever standard_conforming_strings says).
 */
function rawQuote(text: string, i: number): boolean {
  const p = text.charCodeAt(i - 1) | 0x20;
  if ((p === 98 || p === 120) && i >= 1 && !prevIsIdent(text, i - 1)) return true;
  return (
    text.charCodeAt(i - 1) === 38 &&
    (text.charCodeAt(i - 2) | 0x20) === 117 &&
    i >= 2 &&
    !prevIsIdent(text, i - 2)
  );
}

/** Returns the offset just past the closing quote (or EOF). `backslash` enables E'' escapes. */
function scanQuoted(text: string, i: number, quote: number, backslash: boolean): number {
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (backslash && c === 92) {
      i += 2;
      continue;
    }
    if (c === quote) {
      if (text.charCodeAt(i + 1) === quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i++;
  }
  return n;
}

/** If a dollar-quote delimiter (`$$` or `$tag$`) starts at i, the offset past it; else -1. */
function dollarTagEnd(text: string, i: number): number {
  let j = i + 1;
  if (text.charCodeAt(j) === 36) return j + 1;
  if (!isIdentStart(text.charCodeAt(j))) return -1;
  j++;
  while (j < text.length && isVarChar(text.charCodeAt(j))) j++;
  return text.charCodeAt(j) === 36 ? j + 1 : -1;
}

function scanVariable(
  text: string,
  i: number,
): { name: string; form: VariableForm; end: number } | undefined {
  const next = text.charCodeAt(i + 1);
  const nameAt = (from: number): number => {
    let j = from;
    while (j < text.length && isVarChar(text.charCodeAt(j))) j++;
    return j;
  };
  if (next === 39 || next === 34) {
    const e = nameAt(i + 2);
    if (e > i + 2 && text.charCodeAt(e) === next) {
      return { name: text.slice(i + 2, e), form: next === 39 ? "literal" : "ident", end: e + 1 };
    }
    return undefined;
  }
  if (next === 123 && text.charCodeAt(i + 2) === 63) {
    const e = nameAt(i + 3);
    if (e > i + 3 && text.charCodeAt(e) === 125) {
      return { name: text.slice(i + 3, e), form: "defined", end: e + 1 };
    }
    return undefined;
  }
  const e = nameAt(i + 1);
  if (e > i + 1) return { name: text.slice(i + 1, e), form: "plain", end: e };
  return undefined;
}
