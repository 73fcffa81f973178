// Ending a job: one compare-and-set to a terminal status, stages closed, events stored. A job that
// already ended is left alone (terminal states are final), so racing cancel/timeout/completion
// calls are harmless.

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
  // One structured line per job for operators (`wrangler tail`): ids and figures, no user data.
  console.log(
    JSON.stringify({
      event: "job_finished",
      job_id: job?.job_id,
      request_id: job?.request_id,
      status,
      code: error?.code ?? null,
      latency_ms: latency,
      cache_hit: job?.cache_hit ?? null,
      retries: job?.retries ?? 0,
      telemetry: job?.telemetry ?? {},
    }),
  );
  return true;
}
