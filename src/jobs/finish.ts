// Ending a job: one compare-and-set to a terminal status, stages closed, events stored. A job that
// already ended is left alone (terminal states are final), so racing cancel/timeout/completion
// calls are harmless.
import type { JobError, JobStatus } from "../api/schemas.ts";
import type { Emit } from "./commands.ts";
import type { JobStore } from "./job-store.ts";

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
  emit("status", {
    status,
    terminal: true,
    latency_ms: job ? now - job.created_at : null,
    ...(error ? { code: error.code } : {}),
  });
  return true;
}
