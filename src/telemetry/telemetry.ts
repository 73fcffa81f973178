// The one telemetry API of the Worker and its objects: `recordMetric` (a counter, an up-down gauge
// or a histogram observation from catalog.ts), `audit` (one audit record, see audit-record.ts),
// `withSpan` (a span around a piece of work; calls made inside it carry its `traceparent`) and
// `flushTelemetry` (ships what is buffered; call it from `ctx.waitUntil`, never await it on a
// request's path). Everything is buffered in memory with hard caps: when the exporter or the queue
// is down, jobs go on, deltas are kept (bounded) for the next flush, and overflow is counted.
import { AsyncLocalStorage } from "node:async_hooks";
import { encodeMetrics, encodeSpans, type SpanRecord } from "../clients/contracts/otlp.ts";
import {
  formatTraceparent,
  newSpanId,
  type SpanContext,
} from "../clients/contracts/trace-context.ts";
import { type AuditInput, type AuditRecord, toAuditRecord } from "./audit-record.ts";
import type { LabelsOf, MetricName } from "./catalog.ts";
import { logLine } from "./log.ts";
import { MetricRegistry } from "./registry.ts";

/** The part of a Queue producer binding the audit trail uses. */
export interface AuditQueue {
  sendBatch(messages: Iterable<{ body: unknown; contentType?: "json" }>): Promise<unknown>;
}

export interface TelemetryEnv {
  /** OTLP/HTTP base URL (…/v1/metrics, …/v1/traces); empty turns metrics and traces off. */
  TELEMETRY_URL?: string;
  AUDIT?: AuditQueue;
}

export const MAX_SPANS = 2000;
export const MAX_AUDIT = 1000;
const EXPORT_TIMEOUT_MS = 2000;
const QUEUE_BATCH = 100;

const state = {
  url: "",
  queue: null as AuditQueue | null,
  service: "sql-runner",
  metrics: new MetricRegistry(),
  spans: [] as SpanRecord[],
  audits: [] as AuditRecord[],
  flushing: false,
  again: false,
  lastWarn: 0,
};

const current = new AsyncLocalStorage<SpanContext>();

/** Binds this isolate's telemetry to the bindings (idempotent; call where `env` first appears). */
export function configureTelemetry(env: TelemetryEnv): void {
  state.url = (env.TELEMETRY_URL ?? "").replace(/\/+$/, "");
  state.queue = env.AUDIT ?? null;
}

export function telemetryEnabled(): boolean {
  return state.url !== "";
}

/** Counter / up-down: adds `value` (default 1). Histogram: observes `value` (seconds). */
export function recordMetric<N extends MetricName>(name: N, labels: LabelsOf<N>, value = 1): void {
  if (!state.url) return;
  state.metrics.record(name, labels, value);
}

/** Queues one audit record (sent to the AUDIT queue by the next flush). */
export function audit(input: AuditInput): void {
  if (!state.queue) return;
  if (state.audits.length >= MAX_AUDIT) {
    state.metrics.record("sql_runner_telemetry_dropped_total", { what: "audit" }, 1);
    return;
  }
  state.audits.push(toAuditRecord(input, current.getStore()?.traceId ?? null));
}

/** The span calls made right now belong to (set by `withSpan`), or null. */
export function currentSpan(): SpanContext | null {
  return current.getStore() ?? null;
}

/** The `traceparent` header for an outbound call made in the current span, or null. */
export function currentTraceparent(): string | null {
  const ctx = current.getStore();
  return ctx ? formatTraceparent(ctx) : null;
}

/** Adds a finished span (bounded buffer). */
export function recordSpan(span: SpanRecord): void {
  if (!state.url) return;
  if (state.spans.length >= MAX_SPANS) {
    state.metrics.record("sql_runner_telemetry_dropped_total", { what: "spans" }, 1);
    return;
  }
  state.spans.push(span);
}

/**
 * Runs `fn` in a new span, child of `parent` (or of the current span). A thrown error marks the
 * span as failed and is rethrown unchanged.
 */
export async function withSpan<T>(
  name: string,
  parent: SpanContext | null,
  attributes: Record<string, string | number | boolean>,
  fn: () => Promise<T>,
): Promise<T> {
  const up = parent ?? current.getStore() ?? null;
  if (!up) return fn();
  const ctx: SpanContext = { traceId: up.traceId, spanId: newSpanId(), sampled: up.sampled };
  const startMs = Date.now();
  let error = false;
  try {
    return await current.run(ctx, fn);
  } catch (err) {
    error = true;
    throw err;
  } finally {
    recordSpan({
      traceId: ctx.traceId,
      spanId: ctx.spanId,
      parentSpanId: up.spanId,
      name,
      startMs,
      endMs: Date.now(),
      attributes,
      error,
    });
  }
}

/** Runs `fn` with `ctx` as the current span (no new span), e.g. inside a job's root span. */
export function inSpanContext<T>(ctx: SpanContext | null, fn: () => T): T {
  return ctx ? current.run(ctx, fn) : fn();
}

async function post(path: string, body: unknown): Promise<boolean> {
  try {
    const res = await fetch(`${state.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(EXPORT_TIMEOUT_MS),
    });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

function warn(event: string): void {
  const now = Date.now();
  if (now - state.lastWarn < 60_000) return;
  state.lastWarn = now;
  logLine("warn", event, {});
}

/** One pass over the buffers; false when something could not be delivered (kept for later). */
async function flushOnce(): Promise<boolean> {
  let ok = true;
  const audits = state.audits.splice(0);
  if (audits.length > 0 && state.queue) {
    for (let i = 0; i < audits.length; i += QUEUE_BATCH) {
      const chunk = audits.slice(i, i + QUEUE_BATCH);
      try {
        await state.queue.sendBatch(chunk.map((body) => ({ body, contentType: "json" as const })));
      } catch {
        ok = false;
        warn("audit_enqueue_failed");
        const room = MAX_AUDIT - state.audits.length;
        state.audits.unshift(...chunk.slice(0, Math.max(0, room)));
      }
    }
  }
  if (!state.url) return ok;
  const spans = state.spans.splice(0);
  if (spans.length > 0 && !(await post("/v1/traces", encodeSpans(state.service, spans)))) {
    ok = false;
    warn("trace_export_failed");
    const room = MAX_SPANS - state.spans.length;
    if (spans.length > room) {
      state.metrics.record(
        "sql_runner_telemetry_dropped_total",
        { what: "spans" },
        spans.length - room,
      );
    }
    state.spans.unshift(...spans.slice(0, Math.max(0, room)));
  }
  if (state.metrics.size === 0) return ok;
  const { points, startMs, endMs } = state.metrics.drain();
  if (!(await post("/v1/metrics", encodeMetrics(state.service, points, startMs, endMs)))) {
    warn("metric_export_failed");
    state.metrics.restore(points);
    return false;
  }
  return ok;
}

/**
 * Flushes start at least this far apart. Every request and every job ends with a flush, and each
 * one encodes JSON and makes export round trips in the isolate that also runs the jobs: flushing
 * per request cost a warm hit ~20 ms at p50 (docs/benchmarks.md, telemetry on vs off). What a
 * request records waits at most this long; the caller's promise still settles once it is sent.
 */
export const FLUSH_EVERY_MS = 1000;
let lastFlushAt = 0;
let scheduled: Promise<void> | null = null;

/**
 * Ships what is buffered, now or, within FLUSH_EVERY_MS of the last flush, in one flush shared by
 * every caller until then. Never throws. Call it from `ctx.waitUntil`, never on a request's path.
 */
export function flushTelemetry(): Promise<void> {
  const wait = lastFlushAt + FLUSH_EVERY_MS - Date.now();
  if (wait <= 0) return flushNow();
  scheduled ??= new Promise<void>((resolve) => setTimeout(resolve, wait)).then(() => {
    scheduled = null;
    return flushNow();
  });
  return scheduled;
}

/** A flush already running takes the new work too (its caller never waits on another's I/O). */
async function flushNow(): Promise<void> {
  lastFlushAt = Date.now();
  if (state.flushing) {
    state.again = true;
    return;
  }
  state.flushing = true;
  try {
    let ok = true;
    do {
      state.again = false;
      ok = await flushOnce();
    } while (state.again && ok);
  } catch {
    // flushOnce handles its own failures; nothing may escape into a job or a request.
  } finally {
    state.flushing = false;
  }
}
