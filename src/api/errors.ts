// Maps everything thrown in a request to the one JSON error shape { error: { code, message, ... } }:
// AppError as is, zod failures as 400 `validation_failed` naming the field, and anything else as
// 500 `internal` (logged; no stack or internal URL reaches the caller).
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ZodError, type z } from "zod";
import { AppError } from "../errors.ts";
import { internalErrorBody, noteErrorCode } from "../telemetry/http-telemetry.ts";

/** `project_tree["init/a.sql"].content` style path of a zod issue. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (typeof seg === "string" && /^[A-Za-z_][A-Za-z0-9_]*$/.test(seg))
      out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out;
}

/** Turns zod issues into a 400 `validation_failed` whose message names the first offending field. */
export function validationError(error: z.ZodError, where = "body"): AppError {
  const issues = error.issues.map((issue) => {
    const base = formatPath(issue.path);
    if (issue.code === "unrecognized_keys") {
      const fields = issue.keys.map((k) => formatPath([...issue.path, k]));
      return { field: fields[0] ?? base, fields, message: `unknown field: ${fields.join(", ")}` };
    }
    return { field: base || where, message: issue.message };
  });
  const first = issues[0];
  const message = first ? `${where}: ${first.field}: ${first.message}` : `invalid ${where}`;
  return new AppError(400, "validation_failed", message, {
    field: first?.field ?? where,
    issues,
  });
}

export function errorResponse(err: unknown, c: Context): Response {
  if (err instanceof AppError) {
    noteErrorCode(c, err.code);
    const id = err.status >= 500 ? internalErrorBody(c, err).id : undefined;
    // A refusal that says when to come back (429 too_many_jobs) says it in the header too.
    const retry = Number(err.details.retry_after_s);
    if (err.status === 429 && Number.isInteger(retry) && retry > 0) {
      c.header("Retry-After", String(retry));
    }
    return c.json(
      { error: { code: err.code, message: err.message, ...err.details, ...(id ? { id } : {}) } },
      err.status as ContentfulStatusCode,
    );
  }
  if (err instanceof ZodError) return errorResponse(validationError(err), c);
  if (err instanceof HTTPException && err.status < 500) {
    const code = err.status === 413 ? "payload_too_large" : "bad_request";
    noteErrorCode(c, code);
    return c.json({ error: { code, message: err.message || code } }, err.status);
  }
  noteErrorCode(c, "internal");
  return c.json({ error: internalErrorBody(c, err) }, 500);
}
