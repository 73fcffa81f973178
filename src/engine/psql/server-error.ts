// A server error of a head's statement as the interpreter reports it: where it happened (the
// statement, the error's position, or the COPY data line it names), the error entry, psql's
// message text, and psql's error variables (ERROR, SQLSTATE, ROW_COUNT, LAST_ERROR_*). An error
// that is not the server's (the connection went away) is a connection_error that ends the head.
import type { BatchStep } from "../batching.ts";
import { copyDataLocation, locateFailure } from "../error-location.ts";
import { errorText } from "../error-text.ts";
import { ScriptError, type SourceLocation } from "../errors.ts";
import type { Locator } from "../source-map.ts";
import type { CopyBlock, SqlUnit } from "../units.ts";
import {
  formatServerMessage,
  type ServerMessage,
  type ShowContext,
  type Verbosity,
} from "./messages.ts";

export function isDbError(e: unknown): e is ServerMessage {
  return typeof e === "object" && e !== null && typeof (e as ServerMessage).severity === "string";
}

export interface ServerErrorReport {
  error: ScriptError;
  /** What psql prints for it (after its `psql:FILE:LINE:` prefix). */
  text: string;
  /** Not the server's error: the head cannot go on. */
  fatal: boolean;
}

/**
 * The report of error `e` of `unit`, after `completed` of its statements succeeded (`copy`: the
 * COPY data block last sent); sets psql's error variables in `vars` for a server error.
 */
export function serverErrorReport(
  unit: SqlUnit,
  completed: number,
  e: unknown,
  locate: Locator,
  vars: Map<string, string>,
  verbosity: Verbosity,
  showContext: ShowContext,
  copy: CopyBlock | undefined = unit.copy,
): ServerErrorReport {
  const step: BatchStep = {
    kind: "batch",
    items: [unit],
    statements: [unit],
    text: unit.text,
    offsets: [0],
  };
  const position = isDbError(e) && e.position ? Number(e.position) : undefined;
  const site = locateFailure(step, completed, position, locate);
  let where: SourceLocation = site?.location ?? unit;
  if (!isDbError(e)) {
    const error = new ScriptError(
      "connection_error",
      `${where.file}:${where.line}:${where.column}: ${errorText(e)}`,
      where,
    );
    return { error, text: `${errorText(e)}\n`, fatal: true };
  }
  where = copyDataLocation(copy, e.where) ?? where;
  const init: ConstructorParameters<typeof ScriptError>[2] = { ...where };
  if (e.code) init.sqlstate = e.code;
  if (e.detail) init.detail = e.detail;
  if (e.hint) init.hint = e.hint;
  if (e.where) init.where = e.where;
  const error = new ScriptError(
    "sql_error",
    `${where.file}:${where.line}:${where.column}: ${e.severity ?? "ERROR"}: ${e.message}`,
    init,
  );
  vars.set("ERROR", "true");
  vars.set("SQLSTATE", e.code ?? "");
  vars.set("ROW_COUNT", "0");
  vars.set("LAST_ERROR_MESSAGE", e.message);
  vars.set("LAST_ERROR_SQLSTATE", e.code ?? "");
  return {
    error,
    text: formatServerMessage(e, unit.text, verbosity, showContext, true),
    fatal: false,
  };
}
