// Structured logs: every line is one JSON object `{ level, event, ts, ...fields }` (what
// `wrangler tail` and Workers Logs index). Fields are ids, codes and figures: callers never pass
// SQL, variables, rows or messages that may quote them.

export type LogLevel = "debug" | "info" | "warn" | "error";

export type LogFields = Record<string, string | number | boolean | null | undefined | object>;

export function logLine(level: LogLevel, event: string, fields: LogFields): void {
  const line = JSON.stringify({ level, event, ts: new Date().toISOString(), ...fields });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

/** A fresh id for an internal error: logged with the error and returned as `error.id`. */
export function newErrorId(): string {
  return `err_${crypto.randomUUID().replaceAll("-", "").slice(0, 20)}`;
}

/** The class and first line of an unexpected error, for the log (never shown to the caller). */
export function describeInternal(err: unknown): { error_class: string; error_message: string } {
  if (err instanceof Error) {
    return {
      error_class: err.name,
      error_message: err.message.split("\n")[0]?.slice(0, 300) ?? "",
    };
  }
  return { error_class: typeof err, error_message: String(err).slice(0, 300) };
}
