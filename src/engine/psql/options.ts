// The head interpreter's options and error entries (shared by the interpreter and its session).
import type { ResultBudget } from "../result-budget.ts";
import type { RunScriptOptions } from "../runner.ts";
import type { HeadResultSet } from "./result-set.ts";

/** The script runner's session inputs (runner.ts), plus how psql runs and prints a head. */
export interface PsqlRunOptions extends Omit<RunScriptOptions, "batching" | "collectResults"> {
  /** `stop` (default): the first error ends the script (psql's ON_ERROR_STOP). */
  onError?: "stop" | "continue";
  /**
   * false: never send statements ahead (psql/pipeline.ts), one round trip per statement; the
   * tests compare the two. Pipelining applies only under "continue" anyway.
   */
  pipeline?: boolean;
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
  /** The job's result budget: the statements' rows draw on it (internal queries do not). */
  resultBudget?: ResultBudget;
  /**
   * The job's caps on what the view keeps: result sets (`ResultBudget.takeSet`) and error entries
   * (`takeError`). A set or error past them still runs, prints and counts (psql's variables, the
   * stop under ON_ERROR_STOP), but is not kept (a set is not handed to `onSet`). Applies with or
   * without `resultBudget`.
   */
  viewBudget?: ResultBudget;
  /**
   * Sees each result set as it completes, before the next statement runs: the caller may store
   * its rows elsewhere and replace `set.rows` with fewer, so a head never holds all its rows.
   */
  onSet?: (set: HeadResultSet) => void;
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
