// What a job reports to operators at its milestones: a stage (span + duration histogram), an
// instance boot, a run starting and ending (jobs_active), and the terminal status (the outcome
// counters, the job's root span, one audit record and one log line). The jobs room calls these
// with its job row; nothing here reads SQL, variables or rows.
import type { AuditAction } from "../clients/contracts/audit-log.ts";
import { newSpanId } from "../clients/contracts/trace-context.ts";
import { gatewaySpan, jobSpan, jobTraceId, type TracedJob } from "./job-trace.ts";
import { logLine } from "./log.ts";
import { audit, inSpanContext, recordMetric, recordSpan, withSpan } from "./telemetry.ts";

export interface FinishedJob extends TracedJob {
  user_id: string;
  request_id: string;
  mode: string;
  created_at: number;
  cache_hit: boolean | null;
  retries: number;
  snapshot: {
    tail_hash?: string;
    hit: boolean;
    reused_steps: number;
    replayed_steps: number;
    tail_steps: number;
    cache_available: boolean;
  } | null;
}

export interface FinishedError {
  code: string;
  sqlstate?: string | undefined;
  script_code?: unknown;
  error_id?: unknown;
}

/** Runs one stage of a job inside its span (calls made in it carry the span's traceparent). */
export async function stageSpan<T>(
  job: TracedJob,
  stage: string,
  fn: () => Promise<T>,
): Promise<T> {
  const t0 = performance.now();
  try {
    return await withSpan(`stage ${stage}`, jobSpan(job), { "job.id": job.job_id, stage }, fn);
  } finally {
    recordMetric("sql_runner_stage_duration_seconds", { stage }, (performance.now() - t0) / 1000);
  }
}

/** A stage that was timed elsewhere (parsing happens before the job row exists). */
export function stageDone(job: TracedJob, stage: string, ms: number, end = Date.now()): void {
  recordMetric("sql_runner_stage_duration_seconds", { stage }, ms / 1000);
  const root = jobSpan(job);
  recordSpan({
    traceId: root.traceId,
    spanId: newSpanId(),
    parentSpanId: root.spanId,
    name: `stage ${stage}`,
    startMs: end - ms,
    endMs: end,
    attributes: { "job.id": job.job_id, stage },
    error: false,
  });
}

export function instanceBooted(source: string, ms: number): void {
  recordMetric("sql_runner_instance_boot_seconds", { source }, ms / 1000);
}

/** A run of the job starts in this object (pair with `runEnded`). */
export function runStarted(): void {
  recordMetric("sql_runner_jobs_active", {}, 1);
}

export function runEnded(): void {
  recordMetric("sql_runner_jobs_active", {}, -1);
}

/** Runs `fn` with the job's root span current (e.g. a run's platform calls outside any stage). */
export function inJobTrace<T>(job: TracedJob, fn: () => T): T {
  return inSpanContext(jobSpan(job), fn);
}

function cacheResult(
  s: NonNullable<FinishedJob["snapshot"]>,
): "hit" | "partial" | "miss" | "unavailable" {
  if (!s.cache_available) return "unavailable";
  if (s.replayed_steps === 0) return "hit";
  return s.reused_steps > 0 ? "partial" : "miss";
}

const PLATFORM_SERVICES: Record<string, string> = {
  env_unavailable: "env_manager",
  snapshot_cache_unavailable: "snapshot_cache",
};

function outcomeAction(status: string, code: string | null): AuditAction {
  if (status === "completed") return "job.completed";
  if (status === "canceled") return "job.canceled";
  return code === "timeout" ? "job.timeout" : "job.failed";
}

/** The job reached `status` (called once, by the compare-and-set that ended it). */
export function jobFinished(
  job: FinishedJob,
  status: "completed" | "failed" | "canceled",
  error: FinishedError | null,
  now = Date.now(),
): void {
  const code = error?.code ?? null;
  const latencyMs = now - job.created_at;
  recordMetric("sql_runner_jobs_total", { status, code: code ?? "", mode: job.mode });
  recordMetric("sql_runner_job_duration_seconds", { status }, latencyMs / 1000);
  if (job.snapshot) {
    recordMetric("sql_runner_cache_lookups_total", { result: cacheResult(job.snapshot) });
    recordMetric("sql_runner_replayed_steps_total", {}, job.snapshot.replayed_steps);
    recordMetric("sql_runner_reused_steps_total", {}, job.snapshot.reused_steps);
  }
  if (status === "canceled") recordMetric("sql_runner_cancels_total", {});
  if (code === "timeout") recordMetric("sql_runner_timeouts_total", {});
  if (code === "tail_error" || code === "head_error") {
    if (error?.script_code === "connection_error") {
      recordMetric("sql_runner_connection_errors_total", {});
    } else {
      const sqlstate = /^[0-9A-Z]{5}$/.test(error?.sqlstate ?? "") ? (error?.sqlstate ?? "") : "";
      recordMetric("sql_runner_sql_errors_total", {
        where: code === "tail_error" ? "tail" : "head",
        sqlstate_class: sqlstate ? sqlstate.slice(0, 2) : "none",
      });
    }
  }
  const service = code ? PLATFORM_SERVICES[code] : undefined;
  if (service && code) recordMetric("sql_runner_platform_errors_total", { service, code });

  const root = jobSpan(job);
  recordSpan({
    traceId: root.traceId,
    spanId: root.spanId,
    parentSpanId: gatewaySpan(job)?.spanId ?? null,
    name: "job",
    startMs: job.created_at,
    endMs: now,
    attributes: {
      "job.id": job.job_id,
      "job.status": status,
      "job.mode": job.mode,
      ...(code ? { "error.code": code } : {}),
    },
    error: status === "failed",
  });
  audit({
    action: outcomeAction(status, code),
    result: status === "completed" ? "ok" : status === "canceled" ? "ok" : "error",
    request_id: job.request_id,
    job_id: job.job_id,
    user_id: job.user_id,
    code,
    trace_id: root.traceId,
  });
  logLine(status === "failed" && code === "internal" ? "error" : "info", "job_finished", {
    job_id: job.job_id,
    request_id: job.request_id,
    trace_id: jobTraceId(job),
    tail_hash: job.snapshot?.tail_hash ?? null,
    status,
    code,
    ...(error?.error_id ? { error_id: String(error.error_id) } : {}),
    latency_ms: latencyMs,
    cache_hit: job.cache_hit,
    retries: job.retries,
  });
}

/** The job's storage was collected at its job_ttl. */
export function jobExpired(job: FinishedJob): void {
  recordMetric("sql_runner_gc_deleted_total", { kind: "job" });
  audit({
    action: "job.expired",
    result: "ok",
    request_id: job.request_id,
    job_id: job.job_id,
    user_id: job.user_id,
    trace_id: jobTraceId(job),
  });
  logLine("info", "job_expired", {
    job_id: job.job_id,
    request_id: job.request_id,
    trace_id: jobTraceId(job),
  });
}
