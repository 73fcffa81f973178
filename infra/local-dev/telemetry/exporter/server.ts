// The reference telemetry/exporter: receives OTLP/HTTP JSON (`POST /v1/metrics`,
// `POST /v1/traces`), serves the metrics in the Prometheus text format (`GET /metrics`, through
// prom-client) and one trace's spans (`GET /v1/traces?trace_id=`). Loopback only and without
// auth, like a collector sidecar; bodies are capped.
import { HttpError, listenJson, readJsonBody, sendJson, sendText } from "../../json-http.ts";
import { type LogSink, serviceLog } from "../../service-log.ts";
import { MetricStore } from "./metric-store.ts";
import { flatten, MetricsRequest, TracesRequest } from "./otlp-schema.ts";
import { TraceStore } from "./trace-store.ts";

export const MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface ExporterHandle {
  url: string;
  port: number;
  metrics: MetricStore;
  traces: TraceStore;
  close(): Promise<void>;
}

export interface ExporterOptions {
  port?: number;
  /** Where its JSON log lines go (default: warnings and errors to stderr; service-log.ts). */
  log?: LogSink;
}

export async function startExporter(opts: ExporterOptions = {}): Promise<ExporterHandle> {
  const metrics = new MetricStore();
  const traces = new TraceStore();
  const log = serviceLog("telemetry-exporter", opts.log);
  const http = await listenJson(
    opts.port ?? 0,
    async (req, res) => {
      const url = new URL(req.url ?? "/", "http://localhost");
      const route = `${req.method} ${url.pathname}`;
      if (route === "GET /metrics") {
        const out = await metrics.exposition();
        return sendText(res, 200, out.text, out.contentType);
      }
      if (route === "GET /healthz") {
        return sendJson(res, 200, { status: "ok", service: "telemetry-exporter" });
      }
      if (route === "GET /v1/traces") {
        const traceId = url.searchParams.get("trace_id") ?? "";
        if (!/^[0-9a-f]{32}$/.test(traceId)) {
          throw new HttpError(400, "validation_failed", "trace_id: 32 lowercase hex characters");
        }
        return sendJson(res, 200, { trace_id: traceId, spans: traces.trace(traceId) });
      }
      if (route === "POST /v1/metrics") {
        const parsed = MetricsRequest.safeParse(await readJsonBody(req, MAX_BODY_BYTES));
        if (!parsed.success) throw new HttpError(400, "validation_failed", parsed.error.message);
        for (const rm of parsed.data.resourceMetrics) {
          for (const sm of rm.scopeMetrics) for (const m of sm.metrics) metrics.ingest(m);
        }
        return sendJson(res, 200, {});
      }
      if (route === "POST /v1/traces") {
        const parsed = TracesRequest.safeParse(await readJsonBody(req, MAX_BODY_BYTES));
        if (!parsed.success) throw new HttpError(400, "validation_failed", parsed.error.message);
        for (const rs of parsed.data.resourceSpans) {
          const service = flatten(rs.resource?.attributes ?? [])["service.name"] ?? "unknown";
          for (const ss of rs.scopeSpans) for (const span of ss.spans) traces.add(service, span);
        }
        return sendJson(res, 200, {});
      }
      throw new HttpError(404, "not_found", `no route ${route}`);
    },
    log,
  );
  return {
    url: `http://127.0.0.1:${http.port}`,
    port: http.port,
    metrics,
    traces,
    close: http.close,
  };
}
