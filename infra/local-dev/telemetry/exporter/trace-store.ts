// The spans the exporter received, kept for `GET /v1/traces?trace_id=`: the newest MAX_SPANS in
// all (the oldest go first), indexed by trace id.
import { flatten, type Span } from "./otlp-schema.ts";

export const MAX_SPANS = 50_000;

export interface StoredSpan {
  trace_id: string;
  span_id: string;
  parent_span_id: string | null;
  name: string;
  service: string;
  start_ms: number;
  end_ms: number;
  duration_ms: number;
  status: "ok" | "error" | "unset";
  attributes: Record<string, string>;
}

export class TraceStore {
  readonly #byTrace = new Map<string, StoredSpan[]>();
  readonly #order: string[] = [];

  add(service: string, span: Span): void {
    const start = span.startTimeUnixNano / 1e6;
    const end = span.endTimeUnixNano / 1e6;
    const code = span.status?.code;
    const stored: StoredSpan = {
      trace_id: span.traceId,
      span_id: span.spanId,
      parent_span_id: span.parentSpanId || null,
      name: span.name,
      service,
      start_ms: start,
      end_ms: end,
      duration_ms: Math.max(0, end - start),
      status: code === 2 ? "error" : code === 1 ? "ok" : "unset",
      attributes: flatten(span.attributes),
    };
    const list = this.#byTrace.get(span.traceId) ?? [];
    list.push(stored);
    this.#byTrace.set(span.traceId, list);
    this.#order.push(span.traceId);
    while (this.#order.length > MAX_SPANS) {
      const oldest = this.#order.shift();
      if (oldest === undefined) break;
      const spans = this.#byTrace.get(oldest);
      spans?.shift();
      if (spans?.length === 0) this.#byTrace.delete(oldest);
    }
  }

  trace(traceId: string): StoredSpan[] {
    return [...(this.#byTrace.get(traceId) ?? [])].sort((a, b) => a.start_ms - b.start_ms);
  }

  get size(): number {
    return this.#order.length;
  }
}
