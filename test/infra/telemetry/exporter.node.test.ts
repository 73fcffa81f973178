// The reference telemetry exporter over HTTP: the Worker's own OTLP encoding goes in, the
// Prometheus exposition comes out (parsed with a real parser), deltas add up, and one trace's
// spans can be read back.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ExporterHandle,
  startExporter,
} from "../../../infra/local-dev/telemetry/exporter/server.ts";
import { encodeMetrics, encodeSpans } from "../../../src/clients/contracts/otlp.ts";
import { MetricRegistry } from "../../../src/telemetry/registry.ts";
import { parseExposition } from "../../support/prometheus.ts";

let exporter: ExporterHandle;
beforeAll(async () => {
  exporter = await startExporter();
});
afterAll(async () => {
  await exporter.close();
});

async function post(path: string, body: unknown): Promise<Response> {
  return fetch(`${exporter.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

async function scrape() {
  const res = await fetch(`${exporter.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/plain");
  return parseExposition(await res.text());
}

function pushRegistry(fill: (r: MetricRegistry) => void): Promise<Response> {
  const registry = new MetricRegistry();
  fill(registry);
  const { points, startMs, endMs } = registry.drain();
  return post("/v1/metrics", encodeMetrics("sql-runner", points, startMs, endMs));
}

describe("telemetry exporter", () => {
  it("adds up delta counters, up-down gauges and histograms across pushes", async () => {
    for (let i = 0; i < 2; i++) {
      const res = await pushRegistry((r) => {
        r.record("sql_runner_jobs_total", { status: "completed", code: "", mode: "inline" }, 1);
        r.record("sql_runner_jobs_active", {}, 1);
        r.record("sql_runner_stage_duration_seconds", { stage: "head_execution" }, 0.02);
        r.record("sql_runner_stage_duration_seconds", { stage: "head_execution" }, 7);
      });
      expect(res.status).toBe(200);
    }
    await pushRegistry((r) => r.record("sql_runner_jobs_active", {}, -1));
    const scraped = await scrape();
    const types = Object.fromEntries(scraped.families.map((f) => [f.name, f.type]));
    expect(types).toMatchObject({
      sql_runner_jobs_total: "COUNTER",
      sql_runner_jobs_active: "GAUGE",
      sql_runner_stage_duration_seconds: "HISTOGRAM",
    });
    expect(
      scraped.value("sql_runner_jobs_total", { status: "completed", code: "", mode: "inline" }),
    ).toBe(2);
    expect(scraped.value("sql_runner_jobs_active")).toBe(1);
    const stage = { stage: "head_execution" };
    expect(scraped.value("sql_runner_stage_duration_seconds_count", stage)).toBe(4);
    expect(scraped.value("sql_runner_stage_duration_seconds_sum", stage)).toBeCloseTo(14.04);
    expect(
      scraped.value("sql_runner_stage_duration_seconds_bucket", { ...stage, le: "0.025" }),
    ).toBe(2);
    expect(scraped.value("sql_runner_stage_duration_seconds_bucket", { ...stage, le: "5" })).toBe(
      2,
    );
    expect(
      scraped.value("sql_runner_stage_duration_seconds_bucket", { ...stage, le: "+Inf" }),
    ).toBe(4);
  });

  it("refuses malformed OTLP with a 400 and a code", async () => {
    const res = await post("/v1/metrics", {
      resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: "bad name" }] }] }],
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
      "validation_failed",
    );
    const notJson = await fetch(`${exporter.url}/v1/traces`, { method: "POST", body: "{" });
    expect(notJson.status).toBe(400);
  });

  it("refuses a body over 4 MiB with 413 payload_too_large, and reads one of 4 MiB", async () => {
    const sized = (bytes: number) => {
      const base = JSON.stringify({ resourceMetrics: [], pad: "" });
      return { resourceMetrics: [], pad: "x".repeat(bytes - base.length) };
    };
    const over = await post("/v1/metrics", sized(4 * 1024 * 1024 + 1));
    expect(over.status).toBe(413);
    expect(await over.json()).toMatchObject({
      error: { code: "payload_too_large", message: "body over 4194304 bytes" },
    });
    // At the limit the body is read whole and taken (OTLP JSON lets unknown fields through).
    const at = await post("/v1/metrics", sized(4 * 1024 * 1024));
    expect(at.status).toBe(200);
  });

  it("serves one trace's spans with their services, parents and attributes", async () => {
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const res = await post(
      "/v1/traces",
      encodeSpans("sql-runner", [
        {
          traceId,
          spanId: "00f067aa0ba902b7",
          parentSpanId: null,
          name: "job",
          startMs: 1000,
          endMs: 1500,
          attributes: { "job.id": "j1" },
          error: false,
        },
        {
          traceId,
          spanId: "00f067aa0ba902b8",
          parentSpanId: "00f067aa0ba902b7",
          name: "stage parsing",
          startMs: 1001,
          endMs: 1002,
          attributes: {},
          error: true,
        },
      ]),
    );
    expect(res.status).toBe(200);
    const trace = (await (await fetch(`${exporter.url}/v1/traces?trace_id=${traceId}`)).json()) as {
      spans: Array<{
        name: string;
        service: string;
        parent_span_id: string | null;
        status: string;
        attributes: Record<string, string>;
        duration_ms: number;
      }>;
    };
    expect(trace.spans.map((s) => s.name)).toEqual(["job", "stage parsing"]);
    expect(trace.spans[0]).toMatchObject({
      service: "sql-runner",
      parent_span_id: null,
      status: "ok",
      attributes: { "job.id": "j1" },
      duration_ms: 500,
    });
    expect(trace.spans[1]).toMatchObject({ parent_span_id: "00f067aa0ba902b7", status: "error" });
    const bad = await fetch(`${exporter.url}/v1/traces?trace_id=nope`);
    expect(bad.status).toBe(400);
  });
});
