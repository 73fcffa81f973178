// The log lines of the platform services (env-manager, snapshot-cache, the telemetry exporter, the
// audit-log service): each is one JSON object, `level`, `event`, `ts` and `service` first, then
// whatever the caller knows of `request_id`, `job_id`, `trace_id`, `status`, `code` and the event's
// own fields. Lines go to an injectable sink (startPlatform's `log` option); without one, warnings
// and errors still reach stderr so a failure is never silent, and info lines are dropped.
// Callers pass error messages, never SQL text or row data (errorFields() keeps the message only).
import type { ServerResponse } from "node:http";

export type LogSink = (line: string) => void;
export type LogLevel = "info" | "warn" | "error";
export type LogValue = string | number | boolean | null | undefined;

export interface LogFields {
  request_id?: string | undefined;
  job_id?: string | null | undefined;
  trace_id?: string | undefined;
  status?: number | undefined;
  code?: string | undefined;
  [field: string]: LogValue;
}

export interface ServiceLog {
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

/** Longest string value a line carries: an error message from a dependency can be long. */
export const MAX_FIELD_CHARS = 1000;

export function formatLogLine(
  level: LogLevel,
  service: string,
  event: string,
  fields: LogFields = {},
  now: Date = new Date(),
): string {
  const line: Record<string, LogValue> = { level, event, ts: now.toISOString(), service };
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined || key in line) continue;
    line[key] =
      typeof value === "string" && value.length > MAX_FIELD_CHARS
        ? `${value.slice(0, MAX_FIELD_CHARS)}…`
        : value;
  }
  return JSON.stringify(line);
}

const toStderr: LogSink = (line) => process.stderr.write(`${line}\n`);

export function serviceLog(service: string, sink?: LogSink): ServiceLog {
  const write = (level: LogLevel) => (event: string, fields?: LogFields) => {
    const out = sink ?? (level === "info" ? null : toStderr);
    out?.(formatLogLine(level, service, event, fields));
  };
  return { info: write("info"), warn: write("warn"), error: write("error") };
}

/** What a log line says of an error: its name and message, never the stack or attached data. */
export function errorFields(err: unknown): { error: string; error_name: string } {
  if (err instanceof Error) return { error: err.message, error_name: err.name };
  return { error: String(err), error_name: typeof err };
}

// The `error.code` a service answered with, noted by its error path so the request line
// (service-telemetry.ts) can carry it; weak, so nothing outlives the response.
const responseCodes = new WeakMap<ServerResponse, string>();

export function noteResponseCode(res: ServerResponse, code: string): void {
  responseCodes.set(res, code);
}

export function responseCodeOf(res: ServerResponse): string | undefined {
  return responseCodes.get(res);
}
