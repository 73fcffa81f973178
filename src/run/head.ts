// Runs a head the way psql runs it (src/engine/psql/): one statement at a time, with the job's
// on_error / output / echo, keeping the result sets before an error and the error itself, the
// text psql prints, and pg_regress's verdict when the head has an expected output file.

import { connectPg } from "../clients/pg.ts";
import { ScriptError } from "../engine/errors.ts";
import { expectedPaths } from "../engine/psql/expected-output.ts";
import { type PsqlRunResult, runPsqlScript } from "../engine/psql/interpreter.ts";
import type { ResultBudget } from "../engine/result-budget.ts";
import { DEFAULT_MAX_BYTES } from "../engine/result-builder.ts";
import { seedFromHash } from "../engine/session.ts";
import type { HeadError, HeadOptions, HeadResult } from "../jobs/model.ts";
import type { KeptSet, ResultWriter } from "../jobs/result-pages.ts";
import { type SessionInput, sink } from "./script.ts";

export interface HeadInput extends SessionInput {
  path: string;
  options: HeadOptions;
  /** Heads in the job: the per-head caps of psql text and result sets are shares of one budget. */
  headCount: number;
  /** The job's total result budget, shared by its heads. */
  budget: ResultBudget;
  /** Where each set's rows are stored as it completes (the head keeps only the view's rows). */
  writer: ResultWriter;
}

/** psql text of all heads of a job together, and the floor of one head's share. */
const OUTPUT_BUDGET = 8 * 1024 * 1024;
const MIN_SHARE = 256 * 1024;

/** The head's result; a script error (a refused command, a lost connection) is its stopping error. */
export async function runHead(input: HeadInput): Promise<HeadResult> {
  const has = (p: string) => input.files.has(p);
  const expected = expectedPaths(input.path, has);
  // pg_regress's contract: a head with an expected output runs in continue mode unless told.
  const onError = input.options.on_error ?? (expected.length > 0 ? "continue" : "stop");
  const kinds = input.options.output ?? ["json"];
  const share = Math.max(MIN_SHARE, Math.floor(OUTPUT_BUDGET / input.headCount));
  const json = kinds.includes("json");
  const kept = new WeakMap<object, KeptSet>();
  let run: PsqlRunResult;
  try {
    run = await runPsqlScript({
      files: input.files,
      entry: input.path,
      variables: input.variables,
      env: input.variables,
      settings: input.settings,
      seed: seedFromHash(input.seedHash),
      connect: (database) => connectPg(input.connection, database),
      onEvent: sink({ emit: input.emit, entry: input.path }),
      signal: input.signal,
      onError,
      psqlOutput: kinds.includes("psql"),
      echo: input.options.echo ?? "none",
      // pg_regress feeds sql/x.sql on standard input (no `psql:FILE:LINE:` prefix); any other head
      // prints as `psql -f PATH` from the project root would.
      ...(expected[0]?.includes("expected/") ? {} : { inputName: input.path }),
      limits: { maxBytes: Math.min(DEFAULT_MAX_BYTES, share) },
      maxOutputBytes: share,
      test: expected.length > 0,
      // The layer's user types (enums, domains) named at boot: no pg_type round trip for them.
      ...(input.connection.type_names
        ? {
            knownTypes: { database: input.connection.database, names: input.connection.type_names },
          }
        : {}),
      // Without `json` the sets are not reported: their rows are neither stored nor kept.
      ...(json ? { resultBudget: input.budget } : {}),
      // Kept sets are bounded with or without json: the session holds every set it keeps.
      viewBudget: input.budget,
      onSet: (set) => {
        if (!json) {
          set.rows = [];
          return;
        }
        const k = input.writer.keep(set.rows);
        set.rows = k.rows;
        kept.set(set, k);
      },
    });
  } catch (err) {
    if (!(err instanceof ScriptError) || err.code === "canceled") throw err;
    const stopped = headError(err, 0);
    return { sets: [], errors: [stopped], on_error: onError, stopped_by: stopped };
  }
  const result: HeadResult = {
    sets: json
      ? run.sets.map((s) => {
          const k = kept.get(s);
          return {
            command: s.command,
            tag: s.tag,
            columns: s.columns,
            rows: s.rows,
            row_count: s.row_count,
            truncated: s.truncated,
            file: s.file,
            line: s.line,
            column: s.column,
            ...(k
              ? {
                  set_id: k.set_id,
                  stored_rows: k.stored_rows,
                  ...(k.next ? { next: k.next } : {}),
                }
              : {}),
          };
        })
      : [],
    errors: run.errors,
    on_error: onError,
  };
  if (run.stopped_by) result.stopped_by = run.stopped_by;
  if (kinds.includes("psql") && run.output !== undefined) {
    result.output = run.output;
    if (run.output_truncated) result.output_truncated = true;
  }
  if (run.test) result.test = run.test;
  return result;
}

function headError(err: ScriptError, setIndex: number): HeadError {
  const out: HeadError = {
    code: err.code,
    message: err.message,
    file: err.file,
    line: err.line,
    column: err.column,
    set_index: setIndex,
  };
  for (const k of ["sqlstate", "detail", "hint", "where"] as const)
    if (err[k] !== undefined) out[k] = err[k];
  return out;
}
