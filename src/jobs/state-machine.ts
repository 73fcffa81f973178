// The job's status moves forward only; terminal states are final. Transitions are compare-and-set
// in storage (see JobStore.transition), this module only says which moves are allowed.
import type { JobStatus } from "./model.ts";

const RANK: Record<JobStatus, number> = {
  pending: 0,
  preparing: 1,
  running: 2,
  publishing: 3,
  completed: 4,
  failed: 4,
  canceled: 4,
};

export const TERMINAL: ReadonlySet<JobStatus> = new Set(["completed", "failed", "canceled"]);

export function isTerminal(status: JobStatus): boolean {
  return TERMINAL.has(status);
}

/** True when `from -> to` moves strictly forward (any non-terminal state may end). */
export function canTransition(from: JobStatus, to: JobStatus): boolean {
  if (isTerminal(from)) return false;
  return RANK[to] > RANK[from];
}
