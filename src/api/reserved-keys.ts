// What JSON can say but a job cannot hold, refused before validation with 422 and the field:
// - an own `__proto__` key anywhere in a body (a path, a variable, a telemetry key): JSON.parse
//   keeps it, but zod's records assign keys one by one and would drop it without a word, so the
//   file or variable would silently go missing;
// - a NUL character in a variable's value: PostgreSQL text cannot hold one, so the job could only
//   fail later, and less clearly.
import { AppError } from "../errors.ts";
import { formatPath } from "./errors.ts";

/** Nesting a body may have before the walk stops looking (bodies are validated after this). */
const MAX_DEPTH = 16;

export function refuseUnrepresentable(body: unknown): void {
  const proto = findProtoKey(body, [], 0);
  if (proto) {
    throw new AppError(
      422,
      "reserved_name",
      `body: ${formatPath(proto)}: "__proto__" cannot be a file, variable or key name`,
      { field: formatPath(proto) },
    );
  }
  const variables = isObject(body) ? body.variables : undefined;
  if (!isObject(variables)) return;
  for (const [name, value] of Object.entries(variables)) {
    if (typeof value === "string" && value.includes("\u0000")) {
      const field = formatPath(["variables", name]);
      throw new AppError(
        422,
        "invalid_variable",
        `body: ${field}: contains a NUL character, which PostgreSQL text cannot hold`,
        { field },
      );
    }
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function findProtoKey(value: unknown, path: string[], depth: number): string[] | null {
  if (!isObject(value) || depth > MAX_DEPTH) return null;
  if (Object.hasOwn(value, "__proto__")) return [...path, "__proto__"];
  for (const [key, child] of Object.entries(value)) {
    // Only objects can hold keys; file contents (strings) are not walked.
    if (isObject(child)) {
      const found = findProtoKey(child, [...path, key], depth + 1);
      if (found) return found;
    }
  }
  return null;
}
