// What a script expands to before anything runs: SQL statements (with their source segments, so
// server error positions map back to file:line:column), \c switches and \echo lines, in order.
import type { Segment } from "./source-map.ts";

/**
 * Inline data of one `COPY ... FROM stdin`, without the `\.` line. `at` (the interpreter's mode):
 * the data's offsets in `file`, read ahead; it is consumed only if the server asks for it, as psql
 * reads it only then (a COPY that fails first leaves those lines to be read as SQL).
 */
export interface CopyBlock {
  data: string;
  file: string;
  line: number;
  at?: { start: number; end: number };
}

export interface SqlUnit {
  kind: "sql";
  /** Statement text as sent (after variable interpolation), ending with `;` when the file had one. */
  text: string;
  segments: Segment[];
  file: string;
  line: number;
  column: number;
  /** Lowercased top-level words, at most the first 32 (used by the batching rules). */
  words: string[];
  /** The data of the (first) COPY FROM stdin. */
  copy?: CopyBlock;
  /**
   * `a \; b` sends several statements as one query: how many (when more than one), and the data
   * of each COPY FROM stdin among them after the first, in order (each block follows the one
   * before it in the script, as psql reads them when the server asks).
   */
  statements?: number;
  moreCopies?: CopyBlock[];
  /** Sent by a `\g`-family meta-command (`\gset`, `\gexec`, `\gx`, ...) instead of `;`. */
  send?: { name: string; args: string[] };
}

/** Every COPY FROM stdin data block of `unit`, in the order the server asks for them. */
export function copyBlocks(unit: SqlUnit): CopyBlock[] {
  if (!unit.copy) return [];
  return unit.moreCopies ? [unit.copy, ...unit.moreCopies] : [unit.copy];
}

export interface ConnectUnit {
  kind: "connect";
  /** Database name; undefined means reconnect to the current one. */
  database: string | undefined;
  file: string;
  line: number;
  column: number;
}

export interface EchoUnit {
  kind: "echo";
  text: string;
  /** `\echo` / `\qecho` / `\warn`: all go to the job log. */
  command: "echo" | "qecho" | "warn";
  file: string;
  line: number;
  column: number;
}

/** A meta-command the interpreter runs (only in the expander's runtime mode). */
export interface MetaUnit {
  kind: "meta";
  name: string;
  /** Arguments as psql's option scanner gives them (variables interpolated). */
  args: string[];
  /** The raw text after the command name. */
  rest: string;
  /** The query buffer when the command was read (`\p` prints it). */
  buffer: string;
  file: string;
  line: number;
  column: number;
}

export type Unit = SqlUnit | ConnectUnit | EchoUnit | MetaUnit;
