// What a JobObject RPC method returns: a value, or an error the worker rethrows as an AppError.
// (Errors thrown across Workers RPC keep only their message, so typed errors travel as values.)
import { AppError } from "../errors.ts";

export interface ErrorPayload {
  status: number;
  code: string;
  message: string;
  details: Record<string, unknown>;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: ErrorPayload };

export function ok<T>(value: T): Outcome<T> {
  return { ok: true, value };
}

/** Runs `fn`, turning an AppError (or PlannerError) into an error outcome; rethrows the rest. */
export async function capture<T>(fn: () => T | Promise<T>): Promise<Outcome<T>> {
  try {
    return ok(await fn());
  } catch (err) {
    if (err instanceof AppError) {
      return {
        ok: false,
        error: { status: err.status, code: err.code, message: err.message, details: err.details },
      };
    }
    throw err;
  }
}

/** The worker side: the value, or the error rethrown as an AppError for app.onError. */
export function unwrap<T>(outcome: Outcome<T>): T {
  if (outcome.ok) return outcome.value;
  const { status, code, message, details } = outcome.error;
  throw new AppError(status, code, message, details);
}

export function notFound(): AppError {
  return new AppError(404, "not_found", "job not found");
}
