// OTLP/HTTP JSON encoding (opentelemetry-proto's JSON mapping: ids as lowercase hex, 64-bit
// integers as decimal strings, DELTA temporality) of the metric deltas and spans we export.
// Pure, shared by the Worker and the Node platform services.
/** One metric series' delta, as the Worker's registry (src/telemetry/registry.ts) holds it. */
export interface SeriesPoint {
  name: string;
  def: { kind: "counter" | "updown" | "histogram"; help: string; buckets?: readonly number[] };
  labels: Record<string, string>;
  value: number;
  buckets: number[] | null;
  sum: number;
  count: number;
}

export interface SpanRecord {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  startMs: number;
  endMs: number;
  attributes: Record<string, string | number | boolean>;
  error: boolean;
}

type AnyValue = { stringValue: string } | { doubleValue: number } | { boolValue: boolean };
type KeyValue = { key: string; value: AnyValue };

const DELTA = 1;
const SPAN_KIND_INTERNAL = 1;

function anyValue(v: string | number | boolean): AnyValue {
  if (typeof v === "number") return { doubleValue: v };
  if (typeof v === "boolean") return { boolValue: v };
  return { stringValue: v };
}

function attributes(record: Record<string, string | number | boolean>): KeyValue[] {
  return Object.entries(record).map(([key, v]) => ({ key, value: anyValue(v) }));
}

const nanos = (ms: number): string => (BigInt(Math.round(ms * 1000)) * 1000n).toString();

function resource(service: string) {
  return { attributes: attributes({ "service.name": service }) };
}

export function encodeMetrics(
  service: string,
  points: SeriesPoint[],
  startMs: number,
  endMs: number,
): unknown {
  const byName = new Map<string, SeriesPoint[]>();
  for (const p of points) byName.set(p.name, [...(byName.get(p.name) ?? []), p]);
  const metrics = [...byName.entries()].map(([name, series]) => {
    const def = series[0]?.def;
    const base = {
      name,
      description: def?.help ?? "",
      unit: name.endsWith("_seconds") ? "s" : "1",
    };
    const time = { startTimeUnixNano: nanos(startMs), timeUnixNano: nanos(endMs) };
    if (def?.kind === "histogram") {
      return {
        ...base,
        histogram: {
          aggregationTemporality: DELTA,
          dataPoints: series.map((p) => ({
            attributes: attributes(p.labels),
            ...time,
            count: String(p.count),
            sum: p.sum,
            bucketCounts: (p.buckets ?? []).map(String),
            explicitBounds: [...(def.buckets ?? [])],
          })),
        },
      };
    }
    return {
      ...base,
      sum: {
        aggregationTemporality: DELTA,
        isMonotonic: def?.kind === "counter",
        dataPoints: series.map((p) => ({
          attributes: attributes(p.labels),
          ...time,
          asDouble: p.value,
        })),
      },
    };
  });
  return {
    resourceMetrics: [
      { resource: resource(service), scopeMetrics: [{ scope: { name: service }, metrics }] },
    ],
  };
}

export function encodeSpans(service: string, spans: SpanRecord[]): unknown {
  return {
    resourceSpans: [
      {
        resource: resource(service),
        scopeSpans: [
          {
            scope: { name: service },
            spans: spans.map((s) => ({
              traceId: s.traceId,
              spanId: s.spanId,
              ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
              name: s.name,
              kind: SPAN_KIND_INTERNAL,
              startTimeUnixNano: nanos(s.startMs),
              endTimeUnixNano: nanos(s.endMs),
              attributes: attributes(s.attributes),
              status: { code: s.error ? 2 : 1 },
            })),
          },
        ],
      },
    ],
  };
}
