// W3C Trace Context (`traceparent: 00-<trace id>-<parent span id>-<flags>`): parsing, formatting
// and fresh ids. Pure; the Node platform services use it too.

export interface SpanContext {
  traceId: string;
  spanId: string;
  sampled: boolean;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The context in a `traceparent` value, or null when it is absent or malformed (then ignored). */
export function parseTraceparent(value: string | null | undefined): SpanContext | null {
  const m = TRACEPARENT.exec((value ?? "").trim().toLowerCase());
  if (!m?.[2] || !m[3] || !m[4] || m[1] === "ff") return null;
  if (/^0+$/.test(m[2]) || /^0+$/.test(m[3])) return null;
  return { traceId: m[2], spanId: m[3], sampled: (Number.parseInt(m[4], 16) & 1) === 1 };
}

export function formatTraceparent(ctx: SpanContext): string {
  return `00-${ctx.traceId}-${ctx.spanId}-${ctx.sampled ? "01" : "00"}`;
}

export function randomHex(bytes: number): string {
  const buf = new Uint8Array(bytes);
  crypto.getRandomValues(buf);
  let out = "";
  for (const b of buf) out += b.toString(16).padStart(2, "0");
  return out;
}

export const newSpanId = (): string => randomHex(8);
export const newTraceId = (): string => randomHex(16);
