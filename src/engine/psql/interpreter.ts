// The head interpreter: runs a psql script the way psql runs it, one query at a time (psql's
// autocommit per statement), expanding lazily so `\gset`, `\if` on its variables and psql's automatic
// variables (ROW_COUNT, ERROR, SQLSTATE, ...) see what the statements before them did. With
// on_error "continue" every statement runs (psql without ON_ERROR_STOP); with "stop" the first error
// ends the script. Either way the result sets before the error are kept. It can also produce the
// exact text psql -X -q prints (with -a's echo of input lines).
import { standardConformingStrings } from "../../clients/pg.ts";
import { ScriptError, type SourceLocation } from "../errors.ts";
import { Expander, type Step } from "../expand.ts";
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_ROWS } from "../result-builder.ts";
import type { ScriptStats } from "../types.ts";
import { copyBlocks, type SqlUnit } from "../units.ts";
import { parseBool } from "../variables.ts";
import { expectedPaths, type TestVerdict, verdict } from "./expected-output.ts";
import { runMeta } from "./meta.ts";
import type { HeadError, PsqlRunOptions } from "./options.ts";
import { PsqlOutput } from "./output.ts";
import { MAX_IN_FLIGHT, mayChangeStringSyntax, StatementScanner } from "./pipeline.ts";
import { refusedCommand } from "./refused.ts";
import type { HeadResultSet } from "./result-set.ts";
import { PsqlSession } from "./session.ts";

export interface PsqlRunResult {
  sets: HeadResultSet[];
  /** Every error in order; `set_index` is the number of result sets before it. */
  errors: HeadError[];
  /** The error that ended the script (stop mode), if any. */
  stopped_by?: HeadError;
  output?: string;
  output_truncated?: boolean;
  /** With `test`, when the head has an expected output file. */
  test?: TestVerdict;
  database: string;
  stats: ScriptStats;
}

export type { HeadError, PsqlRunOptions } from "./options.ts";

/** Runs a head script. Never rejects for SQL errors: they are in `errors`. */
export async function runPsqlScript(opts: PsqlRunOptions): Promise<PsqlRunResult> {
  const started = Date.now();
  const refused = refusedCommand(opts.files, opts.entry);
  if (refused) throw refused;
  let session: PsqlSession | undefined;
  const exp = new Expander({
    files: opts.files,
    entry: opts.entry,
    runtime: true,
    onSoftError: (e, text) => {
      if (!session) return;
      session.lineno = e.line;
      session.reportClient(e, text);
    },
    ...(opts.variables ? { variables: opts.variables } : {}),
    ...(opts.env ? { env: opts.env } : {}),
    standardStrings: () => standardConformingStrings(session?.client),
  });
  // The text is kept only when it is reported: a head raising 60,000 NOTICEs held 8 MB of
  // notice lines for nothing.
  const keepText = opts.psqlOutput === true || opts.test === true;
  const out = new PsqlOutput(keepText ? (opts.maxOutputBytes ?? 8 * 1024 * 1024) : 0, (p) =>
    exp.fileText(p),
  );
  const caps = {
    maxRows: opts.limits?.maxRows ?? DEFAULT_MAX_ROWS,
    maxBytes: opts.limits?.maxBytes ?? DEFAULT_MAX_BYTES,
  };
  session = new PsqlSession(opts, exp, out, caps);
  exp.vars.set("ON_ERROR_STOP", opts.onError === "continue" ? "off" : "on");
  if (opts.echo === "all") exp.vars.set("ECHO", "all");
  const entry = { file: opts.entry, line: 1, column: 1 };
  // Under "continue" plain statements are sent ahead (pipeline.ts); under "stop" never.
  const scanner =
    opts.onError === "continue" && opts.pipeline !== false
      ? new StatementScanner((p) => exp.fileText(p))
      : undefined;
  // Steps already expanded (pulled to be sent ahead), run before the expander's next one.
  const queued: Step[] = [];
  try {
    const first = scanner?.plainAfter(opts.entry, 0, 1) ?? 0;
    await session.open(opts.database, entry, first > 0);
    const steps = exp.steps();
    for (;;) {
      let next: IteratorResult<Step>;
      try {
        const q = queued.shift();
        next = q ? { done: false, value: q } : steps.next();
      } catch (e) {
        // The expander stops at a script error (missing include, bad \if): psql would report it
        // and, without ON_ERROR_STOP, go on; the expansion cannot resume, so the script ends here.
        if (!(e instanceof ScriptError)) throw e;
        session.report(e, undefined);
        break;
      }
      if (next.done) break;
      const step = next.value;
      // psql -a is ECHO=all; a script may change it (`\set ECHO none`).
      const echo = step.echo ?? session.vars.get("ECHO");
      out.echoTo(step.file, step.offset, echo === "all");
      const unit = step.unit;
      if (!unit) continue;
      session.lineno = out.lineOf(step.file, step.offset);
      session.checkAbort(unit);
      if (unit.kind === "sql") {
        skipCopyData(out, unit, step.file);
        // A script may `\set ON_ERROR_STOP on` itself: from then on, nothing is sent ahead.
        const stops = stopOnError(session.vars.get("ON_ERROR_STOP"));
        // Nothing is lexed ahead of a statement that may change how literals are lexed, nor while
        // backslashes escape (the scanner lexes as with standard_conforming_strings on).
        const lexingSettles =
          standardConformingStrings(session.client) && !mayChangeStringSyntax(unit.text);
        if (scanner && !stops && !session.pipelining && !unit.send && !unit.copy && lexingSettles) {
          sendAhead(session, scanner, step, steps, queued);
        }
        await session.sql(unit);
        // Data read ahead is skipped only if the server took it (else psql reads it as SQL).
        for (const block of copyBlocks(unit)) {
          if (!block.at || !session.exp.copyWasRead(block)) break;
          out.skipTo(block.file, block.at.end);
        }
      } else if (unit.kind === "echo") {
        out.write(`${unit.text}\n`);
        opts.onEvent?.({
          kind: "log",
          command: unit.command,
          text: unit.text,
          file: unit.file,
          line: unit.line,
        });
      } else if (unit.kind === "connect") {
        await session.reconnect(unit);
      } else {
        await runMeta(session, unit);
      }
      if (session.stopped) break;
    }
    await session.resolveTypeNames();
  } finally {
    void session.close();
  }
  const stats = session.stats;
  stats.elapsed_ms = Date.now() - started;
  const result: PsqlRunResult = {
    sets: session.sets,
    errors: session.errors,
    database: session.database,
    stats,
  };
  if (session.stoppedBy) result.stopped_by = session.stoppedBy;
  if (keepText) {
    result.output = out.text();
    if (out.truncated) result.output_truncated = true;
  }
  if (opts.test) {
    const paths = expectedPaths(opts.entry, (p) => opts.files.has(p));
    const v = verdict(
      result.output ?? "",
      paths.map((path) => ({ path, text: opts.files.get(path) ?? "" })),
    );
    if (v) result.test = v;
  }
  return result;
}

/**
 * Sends `step`'s statement and the plain ones after it (pulled from the expander into `queued`:
 * expanding them now reads no state the statements in flight change) in one round trip.
 */
function sendAhead(
  session: PsqlSession,
  scanner: StatementScanner,
  step: Step,
  steps: Iterator<Step>,
  queued: Step[],
): void {
  const units: SqlUnit[] = [step.unit as SqlUnit];
  // The pending session setup is one of the MAX_IN_FLIGHT messages.
  const room = MAX_IN_FLIGHT - 1 - (session.hasPendingSetup ? 1 : 0);
  const n = queued.length > 0 ? 0 : scanner.plainAfter(step.file, step.offset, room);
  for (let i = 0; i < n; i++) {
    const r = steps.next();
    if (r.done) break;
    queued.push(r.value);
    const u = r.value.unit;
    // The scanner's count is of plain statements; anything else found is run, not sent ahead,
    // and nothing after it is pulled: pulling past a COPY would lex its inline data before the
    // server said whether it reads it.
    if (u?.kind !== "sql" || u.send || u.copy) {
      if (u) break;
      continue;
    }
    if (units.length < queued.length) continue;
    units.push(u);
  }
  if (units.length > 1 || session.hasPendingSetup) session.sendAhead(units);
}

export function stopOnError(value: string | undefined): boolean {
  return value !== undefined && parseBool(value) === true;
}

/** COPY data read from the script is not echoed by psql -a. */
function skipCopyData(out: PsqlOutput, unit: SqlUnit, file: string): void {
  const copy = unit.copy;
  if (!copy || copy.at || copy.file !== file) return;
  const text = out.files(file) ?? "";
  let at = 0;
  for (let l = 1; l < copy.line && at > 0 === l > 1; l++) at = text.indexOf("\n", at) + 1;
  let stop = at + copy.data.length;
  if (text.startsWith("\\.", stop)) {
    const nl = text.indexOf("\n", stop);
    stop = nl < 0 ? text.length : nl + 1;
  }
  out.skipTo(file, stop);
}

export type { SourceLocation };
