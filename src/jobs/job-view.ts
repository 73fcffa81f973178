// Builds the public job view (GET /v1/jobs/{id}) from storage.

import { JobLifecycle } from "../lifecycle/job-lifecycle.ts";
import type { JobRow, JobStore } from "./job-store.ts";
import type { JobView, Metrics } from "./model.ts";

/** How many of the latest log events the job view carries. */
export const VIEW_LOG_LINES = 20;

export function jobLinks(jobId: string): { self: string; logs: string } {
  return { self: `/v1/jobs/${jobId}`, logs: `/v1/jobs/${jobId}/logs` };
}

/** The figures of a job's view (also what its webhook message carries). */
export function jobMetrics(job: JobRow, stages: ReturnType<JobStore["stages"]>): Metrics {
  const stagesMs: Record<string, number> = {};
  for (const s of stages) stagesMs[s.name] = s.ms;
  return {
    latency_ms: job.finished_at !== null ? job.finished_at - job.created_at : null,
    stages_ms: stagesMs,
    cache_hit: job.cache_hit,
    retries: job.retries,
  };
}

export function buildView(store: JobStore): JobView | null {
  const job = store.job();
  if (!job) return null;
  const stages = store.stages();
  const metrics = jobMetrics(job, stages);
  const lifecycle = new JobLifecycle(store.sql).get();
  const result = store.result();
  return {
    job_id: job.job_id,
    request_id: job.request_id,
    mode: job.mode,
    status: job.status,
    stage: job.stage,
    stages,
    head_path: job.head_path,
    parts: store.parts(),
    file_count: store.fileCount(),
    snapshot: job.snapshot,
    result,
    error: job.error,
    on_error: job.head_options.on_error ?? null,
    output: job.head_options.output ?? ["json"],
    echo: job.head_options.echo ?? "none",
    heads: job.head_options.heads ?? null,
    metrics,
    logs: store.events(0, VIEW_LOG_LINES, "log"),
    last_seq: store.lastSeq(),
    created_at: new Date(job.created_at).toISOString(),
    started_at: job.started_at !== null ? new Date(job.started_at).toISOString() : null,
    finished_at: job.finished_at !== null ? new Date(job.finished_at).toISOString() : null,
    expires_at: new Date(job.expires_at).toISOString(),
    plan: lifecycle.plan,
    webhook: lifecycle.webhook,
    links: { ...jobLinks(job.job_id), result: `/v1/jobs/${job.job_id}/result` },
    // The job object fills it in from the admission queue while the job waits.
    queue: null,
  };
}
