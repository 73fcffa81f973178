// Adapter between the job flow and the script engine: runs one file (a tail step or the head) on
// an instance, with the job's event log as the engine's event sink.

import type { PgConnection } from "../clients/contracts/pg-connection.ts";
import { connectPg } from "../clients/pg.ts";
import { ScriptError } from "../engine/errors.ts";
import { runPsqlScript } from "../engine/psql/interpreter.ts";
import { needsInterpreter } from "../engine/psql/needs-interpreter.ts";
import { ResultBudget } from "../engine/result-budget.ts";
import { runScript } from "../engine/runner.ts";
import { seedFromHash } from "../engine/session.ts";
import type { ScriptEvent } from "../engine/types.ts";
import type { Emit, HeadError } from "../jobs/model.ts";

/** What running one file on an instance needs, a tail step's or a head's. */
export interface SessionInput {
  files: ReadonlyMap<string, string>;
  variables: Record<string, string>;
  settings: Record<string, string>;
  /** Hash the session's random seed is derived from (the tail hash for the head). */
  seedHash: string;
  connection: PgConnection;
  signal: AbortSignal;
  emit: Emit;
}

export interface StepInput extends SessionInput {
  entry: string;
  /** Run in the interpreter whatever the step holds (an earlier step may have changed how literals lex). */
  interpret?: boolean;
}

/** Progress events are throttled: a step of 10,000 statements must not write 10,000 rows. */
const PROGRESS_EVERY_MS = 250;

/** The engine's events into the job's log (shared by tail steps and heads). */
export function sink(input: Pick<StepInput, "emit" | "entry">): (e: ScriptEvent) => void {
  let lastProgress = 0;
  return (e) => {
    switch (e.kind) {
      case "log":
        input.emit("log", {
          level: e.command === "warn" ? "warning" : "info",
          message: e.text,
          file: e.file,
          line: e.line,
        });
        return;
      case "notice":
        input.emit("log", {
          level: e.severity.toLowerCase(),
          message: e.message,
          file: e.file,
          line: e.line,
          ...(e.sqlstate ? { sqlstate: e.sqlstate } : {}),
        });
        return;
      case "connect":
        input.emit("log", {
          level: "info",
          message: `connected to ${e.database}`,
          file: e.file,
          line: e.line,
        });
        return;
      case "progress": {
        const now = Date.now();
        if (now - lastProgress < PROGRESS_EVERY_MS) return;
        lastProgress = now;
        input.emit("step", {
          state: "progress",
          path: input.entry,
          statements_done: e.statements_done,
          statements_total: e.statements_total,
        });
      }
    }
  };
}

/**
 * Runs one tail step's file (tail steps keep no result sets: only heads return rows). A step that
 * depends on the server's answers (`\gset`, `\if` on them, `:DBNAME`...) runs in the head
 * interpreter, one statement at a time; any other is batched. Either way the step fails at its
 * first error: a failed step is never a layer, whatever `\set ON_ERROR_STOP` says.
 */
export async function runStep(input: StepInput): Promise<void> {
  const common = {
    files: input.files,
    entry: input.entry,
    variables: input.variables,
    settings: input.settings,
    seed: seedFromHash(input.seedHash),
    connect: (database?: string) => connectPg(input.connection, database),
    onEvent: sink(input),
    signal: input.signal,
    ...(input.connection.type_names
      ? { knownTypes: { database: input.connection.database, names: input.connection.type_names } }
      : {}),
  };
  if (!input.interpret && !needsInterpreter(input.files, input.entry)) {
    await runScript({ ...common, collectResults: false });
    return;
  }
  const run = await runPsqlScript({
    ...common,
    onError: "stop",
    // No rows are kept, and no set either: a step of many SELECTs holds nothing.
    viewBudget: new ResultBudget(0, { maxSets: 0, maxMetaBytes: 0, maxErrors: 1 }),
    onSet: (set) => {
      set.rows = [];
    },
  });
  const first = run.stopped_by ?? run.errors[0];
  if (first) throw stoppingError(first);
}

/** The error a stopped head or interpreted tail step ends the job with (a ScriptError, as batched steps throw). */
export function stoppingError(e: HeadError): ScriptError {
  const init: ConstructorParameters<typeof ScriptError>[2] = {
    file: e.file,
    line: e.line,
    column: e.column,
  };
  for (const k of ["sqlstate", "detail", "hint", "where"] as const)
    if (e[k] !== undefined) init[k] = e[k];
  return new ScriptError(e.code as ConstructorParameters<typeof ScriptError>[0], e.message, init);
}
