// Pipelining a head's statements (issue 13): with on_error "continue" psql runs every statement as
// its own simple Query whatever the ones before did, so the plain statements that follow the one
// running now can be written to the WebSocket before its reply arrives, and the session setup can
// ride in front of the first of them. PostgreSQL answers Query messages strictly in order, each
// ending with its ReadyForQuery, and the driver's Client hands every ReadyForQuery to its active
// query and then activates the next queued one: so one submittable writes all the messages and
// the others (queued behind it, writing nothing) each receive their own replies.
//
// "Plain" means nothing between here and the statement's end could read state the statements in
// flight change: no meta-command (\gset, \if, \echo :ROW_COUNT, ...), no variable (:x, :'x',
// ROW_COUNT and ERROR change after every statement), no COPY (its inline data is taken by the
// expander only after the next token), the text is in the same file (no include boundary), and
// nothing may change standard_conforming_strings, which decides how the statements after it are
// lexed (a word or literal naming it, RESET, DISCARD).
// Under "stop" nothing is sent ahead: a statement after an error must never run, and only psql's
// own per-statement Query gives that (joining statements into one Query would put them in one
// implicit transaction, which changes what an error rolls back).
import type { Client, Submittable } from "@neondatabase/serverless";
import type { BatchQuery } from "../batch-query.ts";
import { lex, type Token } from "../lexer.ts";
import type { QueryResultSet } from "./exec-query.ts";
import type { ServerMessage } from "./messages.ts";

/** At most this many Query messages are written before the first of them is answered. */
export const MAX_IN_FLIGHT = 64;

/** What a query sent ahead received, in order (COPY TO STDOUT text comes between notices). */
export type AheadEvent =
  | { result: QueryResultSet }
  | { notice: ServerMessage }
  | { copyOut: string };

export interface AheadQuery {
  query: BatchQuery;
  /** What arrived before the script reached the query (replayed then, in arrival order). */
  events: AheadEvent[];
  /**
   * Set once the script waits on this query: what arrives then is handled at once, as for a query
   * not sent ahead. Kept instead, a statement raising 60,000 NOTICEs held them all until it ended.
   */
  live?: (e: AheadEvent) => void;
}

/** Hands `e` to the script if it waits on `a`, else keeps it for when it gets there. */
export function arrived(a: AheadQuery, e: AheadEvent): void {
  if (a.live) a.live(e);
  else a.events.push(e);
}

const STRING_SYNTAX = /standard_conforming_strings|\breset\b|\bdiscard\b/i;

/**
 * Whether a statement may change standard_conforming_strings (SET, set_config, RESET ALL, DISCARD
 * ALL...): the statements after it are lexed only once it has run. Errs on the side of yes.
 */
export function mayChangeStringSyntax(text: string): boolean {
  return STRING_SYNTAX.test(text);
}

/** Finds the plain statements after a point of a file, lexing each file once. */
export class StatementScanner {
  private readonly tokens = new Map<string, Token[]>();
  private readonly text: (file: string) => string | undefined;

  constructor(text: (file: string) => string | undefined) {
    this.text = text;
  }

  /**
   * How many complete plain statements (each ended by `;`) start at `offset` of `file`, at most
   * `max`. It stops, without counting, at the first statement that is not plain, and at an empty
   * statement (the expander yields no unit for it, so counting it would pull one too many).
   */
  plainAfter(file: string, offset: number, max: number): number {
    const toks = this.of(file);
    if (!toks) return 0;
    let lo = 0;
    let hi = toks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (toks[mid]!.start < offset) lo = mid + 1;
      else hi = mid;
    }
    // `offset` inside one of this lexing's tokens: the expander cut the text differently here
    // (the lines after a COPY FROM stdin the server refused are SQL to it, data to this lexing).
    if (lo > 0 && toks[lo - 1]!.end > offset) return 0;
    let n = 0;
    let empty = true;
    // After `\;`: a new statement of the same query starts (a COPY there is not plain either).
    let partStart = false;
    for (let i = lo; i < toks.length && n < max; i++) {
      const t = toks[i]!;
      switch (t.kind) {
        case "meta":
        case "variable":
        case "copy_data":
          return n;
        case "semicolon":
          if (empty) return n;
          n++;
          empty = true;
          break;
        case "space":
        case "line_comment":
        case "block_comment":
          break;
        case "escaped":
          partStart = t.text === "\\;";
          empty = false;
          break;
        case "word":
          if ((empty || partStart) && t.text.toLowerCase() === "copy") return n;
          partStart = false;
          if (mayChangeStringSyntax(t.text)) return n;
          empty = false;
          break;
        case "string":
        case "quoted_ident":
          if (mayChangeStringSyntax(t.text)) return n;
          empty = false;
          partStart = false;
          break;
        default:
          empty = false;
          partStart = false;
      }
    }
    return n;
  }

  private of(file: string): Token[] | undefined {
    let toks = this.tokens.get(file);
    if (!toks) {
      const text = this.text(file);
      if (text === undefined) return undefined;
      toks = lex(text);
      this.tokens.set(file, toks);
    }
    return toks;
  }
}

/**
 * Queues `queries` on `client` so that the first writes all their Query messages at once (one
 * round trip for all); `onActive(i)` runs when the i-th one's replies start arriving. The Client
 * must have no other query queued behind them until they are answered.
 */
export function sendPipelined(
  client: Client,
  queries: BatchQuery[],
  onActive: (i: number) => void,
): void {
  queries.forEach((q, i) => {
    q.sends = i === 0 ? queries.map((x) => x.text) : [];
    q.onActive = () => onActive(i);
  });
  for (const q of queries) client.query(q as unknown as Submittable);
}
