// Every metric the Worker and its Durable Objects export, with its kind, help text and the only
// label names it may carry. A name or label outside this list is refused at record time, so no
// user id, job id, path or SQL can become a label (bounded cardinality by construction).

export type MetricKind = "counter" | "updown" | "histogram";

export interface MetricDef {
  kind: MetricKind;
  help: string;
  labels: readonly string[];
  /** Upper bounds (seconds) of a histogram's buckets. */
  buckets?: readonly number[];
}

/** Latency buckets in seconds, from a warm hit (a few ms) to a long replay (minutes). */
export const SECONDS_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300,
] as const;

export const METRICS = {
  sql_runner_jobs_total: {
    kind: "counter",
    help: "Jobs that reached a terminal status, by status, error code and mode.",
    labels: ["status", "code", "mode"],
  },
  sql_runner_job_duration_seconds: {
    kind: "histogram",
    help: "Time from job creation to its terminal status.",
    labels: ["status"],
    buckets: SECONDS_BUCKETS,
  },
  sql_runner_stage_duration_seconds: {
    kind: "histogram",
    help: "Time spent in one stage of a job.",
    labels: ["stage"],
    buckets: SECONDS_BUCKETS,
  },
  sql_runner_cache_lookups_total: {
    kind: "counter",
    help: "Snapshot chain lookups by result (hit, partial, miss, unavailable).",
    labels: ["result"],
  },
  sql_runner_replayed_steps_total: {
    kind: "counter",
    help: "Tail steps executed because no layer held them.",
    labels: [],
  },
  sql_runner_reused_steps_total: {
    kind: "counter",
    help: "Tail steps skipped because a cached layer held them.",
    labels: [],
  },
  sql_runner_instance_boot_seconds: {
    kind: "histogram",
    help: "Time to get a PostgreSQL instance, by source (pool, layer, base).",
    labels: ["source"],
    buckets: SECONDS_BUCKETS,
  },
  sql_runner_sql_errors_total: {
    kind: "counter",
    help: "SQL errors in user scripts, by side (tail, head) and SQLSTATE class.",
    labels: ["where", "sqlstate_class"],
  },
  sql_runner_connection_errors_total: {
    kind: "counter",
    help: "Jobs that lost or could not open their PostgreSQL connection.",
    labels: [],
  },
  sql_runner_platform_errors_total: {
    kind: "counter",
    help: "Failed calls to platform services, by service and error code.",
    labels: ["service", "code"],
  },
  sql_runner_cancels_total: {
    kind: "counter",
    help: "Jobs canceled by their user.",
    labels: [],
  },
  sql_runner_timeouts_total: {
    kind: "counter",
    help: "Jobs that ran past their timeout_ms.",
    labels: [],
  },
  sql_runner_jobs_active: {
    kind: "updown",
    help: "Job runs in progress.",
    labels: [],
  },
  sql_runner_gc_deleted_total: {
    kind: "counter",
    help: "Objects deleted by garbage collection, by kind (job, layer, file, instance).",
    labels: ["kind"],
  },
  sql_runner_gc_duration_seconds: {
    kind: "histogram",
    help: "Time one garbage collection pass took.",
    labels: [],
    buckets: SECONDS_BUCKETS,
  },
  sql_runner_http_requests_total: {
    kind: "counter",
    help: "HTTP requests answered, by route template and status code.",
    labels: ["route", "status"],
  },
  sql_runner_telemetry_dropped_total: {
    kind: "counter",
    help: "Metric series, spans or audit records dropped because a buffer was full.",
    labels: ["what"],
  },
} as const satisfies Record<string, MetricDef>;

export type MetricName = keyof typeof METRICS;

/** The label names a metric accepts, as a type: `{ status: string; code: string; ... }`. */
export type LabelsOf<N extends MetricName> = {
  [K in (typeof METRICS)[N]["labels"][number]]: string;
};
