// What the caller sees when a run fails: a stable code, a message naming the side (tail or head)
// and the script's position, and no internal URLs or stacks (an internal error is logged with an
// id the job's error carries).

import { AppError } from "../errors.ts";
import type { JobError } from "../jobs/model.ts";
import { describeInternal, logLine, newErrorId } from "../telemetry/log.ts";

/** An error in a tail step or the head, reported with its side. */
export class StepFailure extends Error {
  readonly side: "tail" | "head";
  override readonly cause: unknown;
  constructor(side: "tail" | "head", cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.side = side;
    this.cause = cause;
  }
}

/** The run was aborted; the message is the reason ("timeout" or "canceled"). */
export class AbortedError extends Error {}

export function checkAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new AbortedError(String(signal.reason));
}

function scriptDetails(err: unknown): Record<string, unknown> {
  if (!(err instanceof AppError)) return {};
  const out: Record<string, unknown> = { script_code: err.code };
  for (const key of ["sqlstate", "detail", "hint", "where", "file", "line", "column"]) {
    if (err.details[key] !== undefined) out[key] = err.details[key];
  }
  return out;
}

export function describeFailure(err: unknown, timeoutMs: number, jobId?: string): JobError {
  if (err instanceof AbortedError && err.message === "timeout") {
    return {
      code: "timeout",
      message: `the job ran longer than timeout_ms (${timeoutMs} ms); its instance was dropped`,
    };
  }
  if (err instanceof StepFailure) {
    const inner = err.cause;
    const where =
      inner instanceof AppError && inner.details.file ? ` at ${inner.details.file}` : "";
    if (inner instanceof AppError && inner.code.startsWith("env_")) {
      return { code: "env_unavailable", message: inner.message };
    }
    return {
      code: err.side === "tail" ? "tail_error" : "head_error",
      message: `${err.side === "tail" ? "tail step" : "head"} failed${where}: ${err.message}`,
      ...scriptDetails(inner),
    };
  }
  if (err instanceof AppError) {
    if (err.code.startsWith("env_")) return { code: "env_unavailable", message: err.message };
    if (err.code.startsWith("snapshot_cache")) {
      return { code: "snapshot_cache_unavailable", message: err.message };
    }
    if (err.status < 500) return { code: err.code, message: err.message, ...err.details };
  }
  const errorId = newErrorId();
  logLine("error", "job_internal_error", {
    error_id: errorId,
    job_id: jobId,
    ...describeInternal(err),
  });
  return { code: "internal", message: "internal error while running the job", error_id: errorId };
}
