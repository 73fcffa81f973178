// The exporter's stores are bounded: MAX_SERIES metric series in all (points of a new series past
// it are refused and counted), MAX_SPANS spans kept (the oldest go first), and an OTLP point with
// more than 64 attributes is refused with 400 over HTTP, as are more points, metrics, spans,
// scopes or resources than otlp-schema.ts allows.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  MAX_SERIES,
  MetricStore,
} from "../../../infra/local-dev/telemetry/exporter/metric-store.ts";
import { Metric, type Span } from "../../../infra/local-dev/telemetry/exporter/otlp-schema.ts";
import {
  type ExporterHandle,
  startExporter,
} from "../../../infra/local-dev/telemetry/exporter/server.ts";
import { MAX_SPANS, TraceStore } from "../../../infra/local-dev/telemetry/exporter/trace-store.ts";
import { parseExposition } from "../../support/prometheus.ts";

const gauge = (name: string, from: number, n: number) =>
  Metric.parse({
    name,
    gauge: {
      dataPoints: Array.from({ length: n }, (_, i) => ({
        attributes: [{ key: "k", value: { stringValue: `v${from + i}` } }],
        asDouble: 1,
      })),
    },
  });

const hex = (n: number, width: number) => n.toString(16).padStart(width, "0");
const span = (i: number): Span => ({
  traceId: hex(i, 32),
  spanId: hex(i + 1, 16),
  name: `s${i}`,
  startTimeUnixNano: 1_000_000,
  endTimeUnixNano: 2_000_000,
  attributes: [],
});

describe("exporter caps", () => {
  it(`keeps ${MAX_SERIES} series and refuses a new one past them, counted as series_cap`, async () => {
    const store = new MetricStore();
    for (let from = 0; from < MAX_SERIES; from += 1000) store.ingest(gauge("cap_test", from, 1000));
    store.ingest(gauge("cap_test", MAX_SERIES, 1));
    store.ingest(gauge("cap_test", 0, 1)); // an existing series still takes points
    const exp = parseExposition((await store.exposition()).text);
    const series = exp.families.find((f) => f.name === "cap_test")?.metrics ?? [];
    expect(series).toHaveLength(MAX_SERIES);
    expect(series.some((s) => s.labels?.k === `v${MAX_SERIES}`)).toBe(false);
    expect(exp.value("cap_test", { k: "v0" })).toBe(1);
    expect(exp.value("otlp_exporter_refused_points_total", { reason: "series_cap" })).toBe(1);
  });

  it(`keeps the newest ${MAX_SPANS} spans: the oldest trace goes first`, () => {
    const store = new TraceStore();
    for (let i = 0; i <= MAX_SPANS; i++) store.add("svc", span(i));
    expect(store.trace(hex(0, 32))).toEqual([]);
    expect(store.trace(hex(1, 32))).toHaveLength(1);
    expect(store.trace(hex(MAX_SPANS, 32))).toHaveLength(1);
  });
});

describe("exporter payload shape and counts over HTTP", () => {
  let exporter: ExporterHandle;
  beforeAll(async () => {
    exporter = await startExporter();
  });
  afterAll(async () => {
    await exporter.close();
  });

  const post = (path: "/v1/metrics" | "/v1/traces", body: unknown) =>
    fetch(`${exporter.url}${path}`, { method: "POST", body: JSON.stringify(body) });
  const refused = async (res: Response) => {
    expect(res.status).toBe(400);
    return ((await res.json()) as { error: { code: string; message: string } }).error;
  };
  const gauge = (name: string, points: number) => ({
    name,
    gauge: { dataPoints: Array.from({ length: points }, () => ({ asDouble: 1 })) },
  });
  const metrics = (scopes: unknown[][], resources = 1) => ({
    resourceMetrics: Array.from({ length: resources }, () => ({
      scopeMetrics: scopes.map((m) => ({ metrics: m })),
    })),
  });
  const spans = (n: number, scopes = 1, resources = 1) => ({
    resourceSpans: Array.from({ length: resources }, () => ({
      scopeSpans: Array.from({ length: scopes }, () => ({
        spans: Array.from({ length: n }, (_, i) => ({
          traceId: "6bf92f3577b34da6a3ce929d0e0e4736",
          spanId: (i + 1).toString(16).padStart(16, "0"),
          name: "s",
          startTimeUnixNano: 1_000_000,
          endTimeUnixNano: 2_000_000,
        })),
      })),
    })),
  });

  it("refuses a point with 65 attributes with 400 validation_failed naming the field", async () => {
    const attributes = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ key: `a${i}`, value: { stringValue: "x" } }));
    const point = (n: number) =>
      metrics([
        [{ name: "attrs", gauge: { dataPoints: [{ attributes: attributes(n), asDouble: 1 }] } }],
      ]);
    const err = await refused(await post("/v1/metrics", point(65)));
    expect(err.code).toBe("validation_failed");
    expect(err.message).toContain("attributes");
    expect(err.message).toContain("64");
    expect((await post("/v1/metrics", point(64))).status).toBe(200);
  });

  it("takes 1,000 points of a metric and refuses 1,001 naming dataPoints", async () => {
    expect((await post("/v1/metrics", metrics([[gauge("pts", 1000)]]))).status).toBe(200);
    const err = await refused(await post("/v1/metrics", metrics([[gauge("pts", 1001)]])));
    expect(err.code).toBe("validation_failed");
    expect(err.message).toContain("dataPoints");
    expect(err.message).toContain("1000");
  });

  it("takes 500 metrics of a scope and refuses 501 naming metrics", async () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => gauge(`m${i}`, 1));
    expect((await post("/v1/metrics", metrics([many(500)]))).status).toBe(200);
    const err = await refused(await post("/v1/metrics", metrics([many(501)])));
    expect(err.message).toContain("metrics");
    expect(err.message).toContain("500");
  });

  it("refuses 51 scopes and 51 resources of metrics", async () => {
    const scopes = Array.from({ length: 51 }, () => [gauge("sc", 1)]);
    expect((await refused(await post("/v1/metrics", metrics(scopes)))).message).toContain(
      "scopeMetrics",
    );
    expect((await post("/v1/metrics", metrics(scopes.slice(0, 50), 50))).status).toBe(200);
    expect(
      (await refused(await post("/v1/metrics", metrics([[gauge("r", 1)]], 51)))).message,
    ).toContain("resourceMetrics");
  });

  it("takes 5,000 spans of a scope and refuses 5,001; refuses 51 scopes and 51 resources", async () => {
    expect((await post("/v1/traces", spans(5000))).status).toBe(200);
    const err = await refused(await post("/v1/traces", spans(5001)));
    expect(err.message).toContain("spans");
    expect(err.message).toContain("5000");
    expect((await refused(await post("/v1/traces", spans(1, 51)))).message).toContain("scopeSpans");
    expect((await refused(await post("/v1/traces", spans(1, 1, 51)))).message).toContain(
      "resourceSpans",
    );
  });
});
