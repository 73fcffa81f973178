// A readable message for anything a driver may throw or emit: an Error, a DOM ErrorEvent from a
// WebSocket (whose String() is "[object ErrorEvent]"), or a plain value.

export function errorText(e: unknown): string {
  if (e instanceof Error) return e.message || e.name;
  if (typeof e === "object" && e !== null) {
    const o = e as { message?: unknown; error?: unknown; type?: unknown };
    if (o.error !== undefined && o.error !== e) {
      const inner = errorText(o.error);
      if (inner) return inner;
    }
    if (typeof o.message === "string" && o.message !== "") return o.message;
    if (typeof o.type === "string") return `WebSocket ${o.type} event (connection lost)`;
  }
  return String(e);
}
