// Telemetry for a Node platform service (env-manager, snapshot-cache): wraps its request handler
// to serve `GET /metrics` (prom-client, bearer-protected like the service) with the service's own
// gauges, to count requests, and, for a request carrying a W3C `traceparent`, to record a server
// span (sent as OTLP/HTTP JSON to the exporter in small batches) and print one JSON log line with
// its trace id (service-log.ts). Bounded: at most MAX_PENDING spans wait for export; the rest are counted as dropped.
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import client from "prom-client";
import { encodeSpans, type SpanRecord } from "../../../src/clients/contracts/otlp.ts";
import { newSpanId, parseTraceparent } from "../../../src/clients/contracts/trace-context.ts";
import { bearerMatches } from "../json-http.ts";
import { type LogSink, responseCodeOf, type ServiceLog, serviceLog } from "../service-log.ts";

export const MAX_PENDING = 5000;
const FLUSH_MS = 200;

export interface ServiceTelemetryOptions {
  service: string;
  token: string;
  /** Exporter base URL; spans are only kept when it is set. */
  telemetryUrl?: string | undefined;
  log?: LogSink | undefined;
  /** How long a span waits for its export batch (default FLUSH_MS); a test holds it to fill up. */
  flushMs?: number;
}

/** `/v1/instances/i-4f3a…/snapshot` → `/v1/instances/:id/snapshot`: no ids in span names. */
export function routeTemplate(path: string): string {
  return path
    .split("/")
    .map((seg) => (/\d/.test(seg) && seg.length >= 8 ? ":id" : seg))
    .join("/");
}

export class ServiceTelemetry {
  readonly registry = new client.Registry();
  readonly #opts: ServiceTelemetryOptions;
  readonly #log: ServiceLog;
  #pending: SpanRecord[] = [];
  #timer: NodeJS.Timeout | null = null;
  readonly #requests: client.Counter<"route" | "status">;
  readonly #dropped: client.Counter;

  constructor(opts: ServiceTelemetryOptions) {
    this.#opts = opts;
    this.#log = serviceLog(opts.service, opts.log);
    const prefix = opts.service.replace(/-/g, "_");
    this.#requests = new client.Counter({
      name: `${prefix}_http_requests_total`,
      help: `Requests ${opts.service} answered, by route template and status.`,
      labelNames: ["route", "status"],
      registers: [this.registry],
    });
    this.#dropped = new client.Counter({
      name: `${prefix}_spans_dropped_total`,
      help: "Spans dropped: the export buffer was full or the exporter did not take them.",
      registers: [this.registry],
    });
  }

  /** A gauge read when `/metrics` is scraped. */
  gauge(name: string, help: string, read: () => number): this {
    new client.Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.set(read());
      },
    });
    return this;
  }

  wrap(handler: RequestListener): RequestListener {
    return (req: IncomingMessage, res: ServerResponse) => {
      const path = new URL(req.url ?? "/", "http://localhost").pathname;
      if (req.method === "GET" && path === "/metrics") {
        void this.#serveMetrics(req, res);
        return;
      }
      const startMs = Date.now();
      const upstream = parseTraceparent(req.headers.traceparent as string | undefined);
      res.once("finish", () => {
        const route = routeTemplate(path);
        const status = res.statusCode;
        this.#requests.inc({ route, status: String(status) });
        if (!upstream) return;
        const span: SpanRecord = {
          traceId: upstream.traceId,
          spanId: newSpanId(),
          parentSpanId: upstream.spanId,
          name: `${this.#opts.service} ${req.method} ${route}`,
          startMs,
          endMs: Date.now(),
          attributes: {
            "http.method": req.method ?? "",
            "http.route": route,
            "http.status_code": status,
          },
          error: status >= 500,
        };
        this.#log[status >= 500 ? "error" : "info"]("request", {
          trace_id: upstream.traceId,
          span_id: span.spanId,
          method: req.method,
          route,
          status,
          code: responseCodeOf(res),
          ms: span.endMs - startMs,
        });
        this.#queue(span);
      });
      handler(req, res);
    };
  }

  async #serveMetrics(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!bearerMatches(req, this.#opts.token)) {
      res.writeHead(401, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          error: { code: "unauthorized", message: "missing or wrong bearer token" },
        }),
      );
      return;
    }
    const text = await this.registry.metrics();
    res.writeHead(200, { "content-type": this.registry.contentType });
    res.end(text);
  }

  #queue(span: SpanRecord): void {
    if (!this.#opts.telemetryUrl) return;
    if (this.#pending.length >= MAX_PENDING) {
      this.#dropped.inc();
      return;
    }
    this.#pending.push(span);
    this.#timer ??= setTimeout(() => void this.flush(), this.#opts.flushMs ?? FLUSH_MS);
  }

  /** Sends the waiting spans (a failed export drops them: spans are best effort). */
  async flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const spans = this.#pending.splice(0);
    if (spans.length === 0 || !this.#opts.telemetryUrl) return;
    try {
      const res = await fetch(`${this.#opts.telemetryUrl}/v1/traces`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(encodeSpans(this.#opts.service, spans)),
        signal: AbortSignal.timeout(2000),
      });
      await res.body?.cancel();
    } catch {
      this.#dropped.inc(spans.length);
    }
  }
}
