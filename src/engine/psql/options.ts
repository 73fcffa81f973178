// The head interpreter's options and error entries (shared by the interpreter and its session).
import type { Client } from "@neondatabase/serverless";
import type { ResultLimits, ScriptEvent } from "../types.ts";

export interface PsqlRunOptions {
  files: ReadonlyMap<string, string>;
  entry: string;
  variables?: Record<string, string>;
  /** What `\getenv` reads: the job's variables plus SCRIPT_ENV_DEFAULTS. */
  env?: Record<string, string>;
  settings: Record<string, string>;
  seed: number;
  connect: (database?: string) => Promise<Client>;
  database?: string;
  limits?: ResultLimits;
  onEvent?: (e: ScriptEvent) => void;
  signal?: AbortSignal;
  /** `stop` (default): the first error ends the script (psql's ON_ERROR_STOP). */
  onError?: "stop" | "continue";
  /** Produce psql's text output. */
  psqlOutput?: boolean;
  /** `all`: echo input lines as `psql -a` does. */
  echo?: "none" | "all";
  /**
   * The file name psql prefixes its messages with (`psql:NAME:LINE: ERROR: ...`, as with
   * `psql -f NAME`); undefined: no prefix, as when the script comes on standard input (pg_regress).
   */
  inputName?: string;
  /** Cap of the psql text (default 8 MiB). */
  maxOutputBytes?: number;
  /**
   * Compare the psql text with the head's expected output (`x.out` next to it, or pg_regress's
   * `expected/x.out`) and report `test`; implies psqlOutput.
   */
  test?: boolean;
}

export interface HeadError {
  code: string;
  message: string;
  file: string;
  line: number;
  column: number;
  sqlstate?: string;
  detail?: string;
  hint?: string;
  where?: string;
  /** Result sets reported before this error. */
  set_index: number;
}
