// The part of OTLP/HTTP JSON (opentelemetry-proto JSON mapping) the reference exporter reads:
// sums, gauges and explicit-bucket histograms, and spans. Unknown fields are ignored (the
// protocol grows); 64-bit integers may come as strings or numbers.
import { z } from "zod";

const Int = z.union([z.string().regex(/^\d+$/), z.number().int().nonnegative()]).transform(Number);
const AnyValue = z
  .object({
    stringValue: z.string().optional(),
    boolValue: z.boolean().optional(),
    intValue: z.union([z.string(), z.number()]).optional(),
    doubleValue: z.number().optional(),
  })
  .loose();
export const KeyValue = z.object({ key: z.string().max(256), value: AnyValue });
const Attributes = z.array(KeyValue).max(64).default([]);
const Resource = z.object({ attributes: Attributes }).loose().optional();

const NumberPoint = z
  .object({
    attributes: Attributes,
    asDouble: z.number().optional(),
    asInt: z.union([z.string(), z.number()]).optional(),
  })
  .loose();
const HistogramPoint = z
  .object({
    attributes: Attributes,
    count: Int,
    sum: z.number().optional(),
    bucketCounts: z.array(Int).max(64),
    explicitBounds: z.array(z.number()).max(63),
  })
  .loose();

export const Metric = z
  .object({
    name: z
      .string()
      .regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/)
      .max(200),
    description: z.string().max(1000).default(""),
    sum: z
      .object({
        aggregationTemporality: z.number().int().default(2),
        isMonotonic: z.boolean().default(false),
        dataPoints: z.array(NumberPoint).max(1000),
      })
      .loose()
      .optional(),
    gauge: z
      .object({ dataPoints: z.array(NumberPoint).max(1000) })
      .loose()
      .optional(),
    histogram: z
      .object({
        aggregationTemporality: z.number().int().default(2),
        dataPoints: z.array(HistogramPoint).max(1000),
      })
      .loose()
      .optional(),
  })
  .loose();
export type Metric = z.infer<typeof Metric>;

export const MetricsRequest = z.object({
  resourceMetrics: z
    .array(
      z
        .object({
          resource: Resource,
          scopeMetrics: z.array(z.object({ metrics: z.array(Metric).max(500) }).loose()).max(50),
        })
        .loose(),
    )
    .max(50),
});

const Span = z
  .object({
    traceId: z.string().regex(/^[0-9a-f]{32}$/),
    spanId: z.string().regex(/^[0-9a-f]{16}$/),
    parentSpanId: z
      .string()
      .regex(/^([0-9a-f]{16})?$/)
      .optional(),
    name: z.string().max(300),
    startTimeUnixNano: Int,
    endTimeUnixNano: Int,
    attributes: Attributes,
    status: z.object({ code: z.number().int().optional() }).loose().optional(),
  })
  .loose();
export type Span = z.infer<typeof Span>;

export const TracesRequest = z.object({
  resourceSpans: z
    .array(
      z
        .object({
          resource: Resource,
          scopeSpans: z.array(z.object({ spans: z.array(Span).max(5000) }).loose()).max(50),
        })
        .loose(),
    )
    .max(50),
});

/** Attribute list to a flat record of strings (what labels and span attributes become). */
export function flatten(attrs: z.infer<typeof Attributes>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { key, value } of attrs) {
    const v = value.stringValue ?? value.boolValue ?? value.intValue ?? value.doubleValue ?? "";
    out[key] = String(v);
  }
  return out;
}
