// The script engine's public result and event shapes.

export interface ResultColumn {
  name: string;
  /** pg_type.typname, e.g. `int8`, `numeric`, `timestamptz`, or a user type's name. */
  type: string;
}

export interface ResultSet {
  /** The command tag without its counts: `SELECT`, `INSERT`, `CREATE TABLE`, `COPY`, ... */
  command: string;
  /** The full command tag as the server sent it, e.g. `INSERT 0 3`. */
  tag: string;
  columns: ResultColumn[];
  /** PostgreSQL's text output for each value, or null. */
  rows: (string | null)[][];
  /** Rows the statement returned or affected (from the command tag), also past the caps. */
  row_count: number;
  /** Rows were dropped because of `limits.maxRows` / `limits.maxBytes`. */
  truncated: boolean;
  /** Where the statement starts. */
  file: string;
  line: number;
}

export interface ScriptStats {
  statements: number;
  /** Multi-statement queries sent for the script's SQL. */
  batches: number;
  /** Every query sent, including session setup and the type-name lookup. */
  round_trips: number;
  connects: number;
  copy_bytes: number;
  elapsed_ms: number;
}

export interface ScriptResult {
  sets: ResultSet[];
  /** The database the script ended in (after any `\c`). */
  database: string;
  stats: ScriptStats;
}

export type ScriptEvent =
  | { kind: "log"; command: "echo" | "qecho" | "warn"; text: string; file: string; line: number }
  | {
      kind: "notice";
      severity: string;
      message: string;
      sqlstate?: string;
      detail?: string;
      hint?: string;
      file: string;
      line: number;
    }
  | { kind: "connect"; database: string; file: string; line: number }
  /** After every statement completes (many per second: consumers throttle). */
  | {
      kind: "progress";
      statements_done: number;
      statements_total: number;
      file: string;
      line: number;
    };

export interface ResultLimits {
  /** Rows kept per result set (default 10,000). */
  maxRows?: number;
  /** Bytes of values (UTF-8) kept per result set (default 8 MiB). */
  maxBytes?: number;
}
