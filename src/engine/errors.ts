// The error the script engine throws: a typed code plus where in the project it happened
// (file, 1-based line and column), and for server errors the SQLSTATE, detail and hint.
import { AppError } from "../errors.ts";

export type ScriptErrorCode =
  | "sql_error"
  | "script_error"
  | "unsupported_command"
  | "include_not_found"
  | "include_cycle"
  | "connection_error"
  | "canceled";

export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

export interface ScriptErrorInit extends SourceLocation {
  sqlstate?: string;
  detail?: string;
  hint?: string;
  /** The server's CONTEXT (e.g. the PL/pgSQL line or the COPY input line). */
  where?: string;
}

export class ScriptError extends AppError {
  override readonly code: ScriptErrorCode;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly sqlstate?: string;
  readonly detail?: string;
  readonly hint?: string;
  readonly where?: string;

  constructor(code: ScriptErrorCode, message: string, init: ScriptErrorInit) {
    const details: Record<string, unknown> = {
      file: init.file,
      line: init.line,
      column: init.column,
    };
    for (const k of ["sqlstate", "detail", "hint", "where"] as const) {
      if (init[k] !== undefined) details[k] = init[k];
    }
    super(code === "connection_error" ? 502 : 422, code, message, details);
    this.name = "ScriptError";
    this.code = code;
    this.file = init.file;
    this.line = init.line;
    this.column = init.column;
    if (init.sqlstate !== undefined) this.sqlstate = init.sqlstate;
    if (init.detail !== undefined) this.detail = init.detail;
    if (init.hint !== undefined) this.hint = init.hint;
    if (init.where !== undefined) this.where = init.where;
  }

  /** `file:line:column: message`, the form a user pastes into an editor. */
  get location(): string {
    return `${this.file}:${this.line}:${this.column}`;
  }
}
