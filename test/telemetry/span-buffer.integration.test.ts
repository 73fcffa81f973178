// The isolate's span buffer is bounded: spans past MAX_SPANS between flushes are dropped at once
// and counted in sql_runner_telemetry_dropped_total{what="spans"}; the kept ones reach the real
// exporter (docs/limits.md).
import { afterAll, describe, expect, inject, it } from "vitest";
import {
  configureTelemetry,
  flushTelemetry,
  MAX_SPANS,
  recordSpan,
} from "../../src/telemetry/telemetry.ts";
import { eventually, scrape, traceOf } from "./helpers.ts";

const hex = (n: number, width: number) => n.toString(16).padStart(width, "0");
const dropped = async () =>
  (await scrape()).total("sql_runner_telemetry_dropped_total", { what: "spans" });

describe("span buffer", () => {
  afterAll(() => configureTelemetry({ TELEMETRY_URL: "" }));

  it(`keeps ${MAX_SPANS} spans between flushes and counts the rest as dropped`, async () => {
    configureTelemetry({ TELEMETRY_URL: inject("telemetryUrl") });
    const before = await dropped();
    const traceId = crypto.randomUUID().replaceAll("-", "");
    const now = Date.now();
    for (let i = 0; i < MAX_SPANS + 5; i++) {
      recordSpan({
        traceId,
        spanId: hex(i + 1, 16),
        parentSpanId: null,
        name: `span-${i}`,
        startMs: now,
        endMs: now + 1,
        attributes: {},
        error: false,
      });
    }
    await flushTelemetry();
    const spans = await traceOf(traceId);
    expect(spans).toHaveLength(MAX_SPANS);
    expect(spans.some((s) => s.name === `span-${MAX_SPANS}`)).toBe(false);
    await eventually(async () => {
      await flushTelemetry();
      expect((await dropped()) - before).toBeGreaterThanOrEqual(5);
    });
  });
});
