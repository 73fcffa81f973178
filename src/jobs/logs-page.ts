// `GET /v1/jobs/{id}/logs` as JSON: one page of the stored events after a cursor, and whether the
// reader has seen everything (the job ended and no event is left after the page).
import { type JobStore, ownedJob } from "./job-store.ts";
import type { LogsResponse } from "./model.ts";
import { isTerminal } from "./state-machine.ts";

export function logsPage(
  store: JobStore,
  user: string,
  after: number,
  limit: number,
): LogsResponse {
  const job = ownedJob(store, user);
  const events = store.events(after, limit);
  const next = events.at(-1)?.seq ?? after;
  return {
    job_id: job.job_id,
    status: job.status,
    events,
    next_after: next,
    done: isTerminal(job.status) && next >= store.lastSeq(),
  };
}
