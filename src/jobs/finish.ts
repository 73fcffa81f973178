// Ending a job: one compare-and-set to a terminal status, stages closed, events stored. A job that
// already ended is left alone (terminal states are final), so racing cancel/timeout/completion
// calls are harmless.

import { jobFinished } from "../telemetry/job-telemetry.ts";
import type { JobStore } from "./job-store.ts";
import type { Emit, JobError, JobStatus } from "./model.ts";

export function finishJob(
  store: JobStore,
  emit: Emit,
  status: Extract<JobStatus, "completed" | "failed" | "canceled">,
  error: JobError | null,
  now = Date.now(),
): boolean {
  if (!store.transition(status)) return false;
  store.closeOpenStages(now);
  store.update({ finished_at: now, error });
  if (error) emit("error", { ...error });
  const job = store.job();
  const latency = job ? now - job.created_at : null;
  emit("status", {
    status,
    terminal: true,
    latency_ms: latency,
    ...(error ? { code: error.code } : {}),
  });
  // Metrics, the job span, the outcome audit record and one log line (src/telemetry).
  if (job) jobFinished(job, status, error, now);
  return true;
}
