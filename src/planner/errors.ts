// PlannerError: every way a project tree, its manifest or a head can be rejected. It is an
// AppError, so the worker's onError maps it to the JSON error shape with the status below
// (413 for size limits, 422 for everything else) without knowing about the planner.
import { AppError } from "../errors.ts";

export type PlannerErrorCode =
  | "empty_tree"
  | "invalid_file"
  | "invalid_path"
  | "invalid_content"
  | "path_conflict"
  | "too_many_files"
  | "path_too_long"
  | "path_too_deep"
  | "file_too_large"
  | "project_too_large"
  | "unknown_head"
  | "head_not_sql"
  | "too_many_heads"
  | "heads_tail_mismatch"
  | "unknown_etag"
  | "etag_mismatch"
  | "invalid_manifest"
  | "include_not_found"
  | "include_cycle";

const PAYLOAD_TOO_LARGE: ReadonlySet<PlannerErrorCode> = new Set([
  "too_many_files",
  "file_too_large",
  "project_too_large",
]);

/** HTTP status the jobs API answers with for a planner error code. */
export function plannerErrorStatus(code: PlannerErrorCode): 413 | 422 {
  return PAYLOAD_TOO_LARGE.has(code) ? 413 : 422;
}

export interface PlannerErrorDetails {
  /** 1-based line in `path` (include errors). */
  line?: number;
  /** Manifest field, e.g. `stages[1]` (invalid_manifest). */
  field?: string;
  [key: string]: unknown;
}

export class PlannerError extends AppError {
  override readonly code: PlannerErrorCode;
  /** The offending path as sent (or normalized when it was valid); "" for the whole tree. */
  readonly path: string;

  constructor(
    code: PlannerErrorCode,
    path: string,
    message: string,
    details: PlannerErrorDetails = {},
  ) {
    super(plannerErrorStatus(code), code, message, { path, ...details });
    this.name = "PlannerError";
    this.code = code;
    this.path = path;
  }
}

/** `"a/b.sql"` quoted for messages, with control characters escaped so logs stay one line. */
export function quote(path: string): string {
  return JSON.stringify(path);
}
