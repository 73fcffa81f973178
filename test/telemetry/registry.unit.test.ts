// The Worker's metric buffer: only catalog labels, short values, a hard cap on series with the
// overflow counted, and deltas a failed export put back merged for the next flush.
import { describe, expect, it } from "vitest";
import { MAX_SERIES, MetricRegistry } from "../../src/telemetry/registry.ts";

describe("metric registry", () => {
  it("keeps only the catalog's labels and cuts long values", () => {
    const r = new MetricRegistry();
    const labels = { status: "completed", code: "x".repeat(500), mode: "short", job_id: "leak" };
    r.record("sql_runner_jobs_total", labels as { status: string; code: string; mode: string }, 1);
    const [point] = r.drain().points;
    expect(Object.keys(point?.labels ?? {}).sort()).toEqual(["code", "mode", "status"]);
    expect(point?.labels.code).toHaveLength(64);
  });

  it("drops series past MAX_SERIES and counts them", () => {
    const r = new MetricRegistry();
    for (let i = 0; i < MAX_SERIES + 7; i++) {
      r.record("sql_runner_http_requests_total", { route: `/r${i}`, status: "200" }, 1);
    }
    expect(r.size).toBe(MAX_SERIES);
    const { points, dropped } = r.drain();
    expect(dropped).toBe(7);
    const counter = points.find((p) => p.name === "sql_runner_telemetry_dropped_total");
    expect(counter).toMatchObject({ labels: { what: "series" }, value: 7 });
    expect(r.size).toBe(0);
  });

  it("puts back undelivered deltas merged with new ones, histograms included", () => {
    const r = new MetricRegistry();
    r.record("sql_runner_stage_duration_seconds", { stage: "parsing" }, 0.003);
    r.record("sql_runner_cancels_total", {}, 1);
    const failed = r.drain().points;
    r.record("sql_runner_stage_duration_seconds", { stage: "parsing" }, 2);
    r.record("sql_runner_cancels_total", {}, 2);
    r.restore(failed);
    const points = r.drain().points;
    expect(points.find((p) => p.name === "sql_runner_cancels_total")?.value).toBe(3);
    const h = points.find((p) => p.name === "sql_runner_stage_duration_seconds");
    expect(h?.count).toBe(2);
    expect(h?.sum).toBeCloseTo(2.003);
    expect(h?.buckets?.[0]).toBe(1);
    expect(h?.buckets?.reduce((a, b) => a + b, 0)).toBe(2);
  });
});
