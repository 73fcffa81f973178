// The parts of the service's answers the CLI reads (docs/api.md). The CLI is a client at the edge:
// it states what it relies on here instead of importing the Worker's schemas.

export type JobStatus =
  | "pending"
  | "preparing"
  | "running"
  | "publishing"
  | "completed"
  | "failed"
  | "canceled";
export const TERMINAL: readonly JobStatus[] = ["completed", "failed", "canceled"];

export interface Column {
  name: string;
  type: string;
}

export interface ResultSet {
  command: string;
  tag: string;
  columns: Column[];
  rows: (string | null)[][];
  row_count: number;
  truncated: boolean;
}

export interface JobError {
  code: string;
  message: string;
  sqlstate?: string;
  detail?: string;
  hint?: string;
  where?: string;
  file?: string;
  line?: number;
  column?: number;
  [key: string]: unknown;
}

export interface SnapshotInfo {
  tail_hash: string;
  layer_id: string | null;
  hit: boolean;
  reused_steps: number;
  replayed_steps: number;
  tail_steps: number;
  cache_available: boolean;
}

export interface JobEvent {
  seq: number;
  type: "status" | "stage" | "step" | "log" | "result" | "error";
  ts: string;
  data: Record<string, unknown>;
}

export interface JobView {
  job_id: string;
  status: JobStatus;
  stage: string | null;
  head_path: string | null;
  snapshot: SnapshotInfo | null;
  /** `errors`: every error of the head in order (with on_error continue the job still completes). */
  result: { sets: ResultSet[]; output?: string; errors?: JobError[] } | null;
  error: JobError | null;
  metrics: {
    latency_ms: number | null;
    stages_ms: Record<string, number>;
    cache_hit: boolean | null;
  };
  last_seq: number;
  [key: string]: unknown;
}
