// Reading what operators see, from inside workerd: the exporter's /metrics (parsed with a real
// Prometheus parser) and traces, and the audit-log service's records. `eventually` polls until a
// check passes: metrics and audit records arrive asynchronously (waitUntil flushes, the queue).
import { inject } from "vitest";
import type { AuditRecord } from "../../src/clients/contracts/audit-log.ts";
import { type Exposition, parseExposition } from "../support/prometheus.ts";

export async function scrape(): Promise<Exposition & { text: string }> {
  const res = await fetch(`${inject("telemetryUrl")}/metrics`);
  if (res.status !== 200) throw new Error(`scrape: ${res.status}`);
  const text = await res.text();
  return { ...parseExposition(text), text };
}

export interface TraceSpan {
  name: string;
  service: string;
  span_id: string;
  parent_span_id: string | null;
  attributes: Record<string, string>;
  status: string;
}

export async function traceOf(traceId: string): Promise<TraceSpan[]> {
  const res = await fetch(`${inject("telemetryUrl")}/v1/traces?trace_id=${traceId}`);
  if (res.status !== 200) throw new Error(`trace: ${res.status}`);
  return ((await res.json()) as { spans: TraceSpan[] }).spans;
}

export type StoredAudit = AuditRecord & { seq: number };

export async function auditOf(query: Record<string, string>): Promise<StoredAudit[]> {
  const res = await fetch(`${inject("auditLogUrl")}/v1/audit?${new URLSearchParams(query)}`, {
    headers: { authorization: `Bearer ${inject("platformToken")}` },
  });
  if (res.status !== 200) throw new Error(`audit: ${res.status}`);
  return ((await res.json()) as { records: StoredAudit[] }).records;
}

/** Stops or starts the exporter / the audit-log service (test/node/operators-control.ts). */
export async function control(service: "exporter" | "audit-log", verb: "stop" | "start") {
  const res = await fetch(`${inject("operatorsControlUrl")}/${service}/${verb}`, {
    method: "POST",
  });
  if (res.status !== 204) throw new Error(`control ${service} ${verb}: ${res.status}`);
}

/** The platform services' log lines numbered `since` and up (test/node/log-ring.ts). */
export async function platformLogs(since: number): Promise<{ lines: string[]; next: number }> {
  const res = await fetch(`${inject("operatorsControlUrl")}/logs?since=${since}`);
  if (res.status !== 200) throw new Error(`logs: ${res.status}`);
  return (await res.json()) as { lines: string[]; next: number };
}

/** Retries `check` until it passes; after `maxMs` the last failure is thrown. */
export async function eventually<T>(check: () => Promise<T>, maxMs = 90_000): Promise<T> {
  const until = Date.now() + maxMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
