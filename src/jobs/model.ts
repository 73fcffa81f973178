// The job's vocabulary as zod schemas: its statuses, stages, events, results, errors and view, and
// the answers built from them (logs, result pages, extend, webhook deliveries). What a job is given
// (create, part, run, extend bodies) is in job-input.ts. The record room (src/jobs), the run room
// (src/run), the live room and the objects use these; the HTTP edge (src/api/schemas.ts) builds its
// request and response schemas from them, never the other way.
import { z } from "zod";
import { Echo, OnError, OutputKind, WebhookEvent } from "./job-input.ts";

/** How the head(s) run, as stored with the job (`heads` already expanded and checked). */
export interface HeadOptions {
  on_error?: OnError;
  output?: OutputKind[];
  echo?: Echo;
  heads?: string[];
}

export const JobStatus = z.enum([
  "pending",
  "preparing",
  "running",
  "publishing",
  "completed",
  "failed",
  "canceled",
]);
export type JobStatus = z.infer<typeof JobStatus>;

export const StageName = z.enum([
  "parsing",
  "snapshot_lookup",
  "instance_boot",
  "tail_replay",
  "head_execution",
  "publishing",
]);
export type StageName = z.infer<typeof StageName>;

export const EventType = z.enum(["status", "stage", "step", "log", "result", "error"]);
export type EventType = z.infer<typeof EventType>;

export const JobEvent = z.object({
  seq: z.number().int(),
  type: EventType,
  ts: z.string(),
  data: z.record(z.string(), z.unknown()),
});
export type JobEvent = z.infer<typeof JobEvent>;

export const Stage = z.object({
  name: StageName,
  status: z.enum(["running", "done"]),
  started_at: z.string(),
  ms: z.number(),
});
export type Stage = z.infer<typeof Stage>;

export const ResultSet = z.object({
  command: z.string(),
  /** The full command tag, e.g. `INSERT 0 3`. */
  tag: z.string(),
  columns: z.array(z.object({ name: z.string(), type: z.string() })),
  rows: z.array(z.array(z.string().nullable())),
  row_count: z.number().int(),
  truncated: z.boolean(),
  /** Where the statement starts (heads). */
  file: z.string().optional(),
  line: z.number().int().optional(),
  column: z.number().int().optional(),
  /** The set's number in the job (every head's sets in order): `GET .../result?set=`. */
  set_id: z
    .number()
    .int()
    .optional()
    .describe("the set's number in the job, across heads in order: GET /v1/jobs/{id}/result?set="),
  /** Rows stored (readable by paging); `rows` in the job view may hold only the first ones. */
  stored_rows: z
    .number()
    .int()
    .optional()
    .describe("rows stored and readable by paging; the view's `rows` may hold only the first ones"),
  next: z
    .string()
    .optional()
    .describe("present when the view holds fewer rows than stored: the page that follows them"),
});
export type ResultSet = z.infer<typeof ResultSet>;

/** An error of a head, in order with its result sets: `set_index` result sets came before it. */
export const HeadError = z.object({
  code: z.string(),
  message: z.string(),
  file: z.string(),
  line: z.number().int(),
  column: z.number().int(),
  sqlstate: z.string().optional(),
  detail: z.string().optional(),
  hint: z.string().optional(),
  where: z.string().optional(),
  set_index: z.number().int(),
});
export type HeadError = z.infer<typeof HeadError>;

/** pg_regress's verdict for a head with an expected output file (`x.out`, `expected/x.out`). */
export const TestVerdict = z.object({
  passed: z.boolean(),
  expected_path: z.string(),
  /** Unified diff expected -> actual; empty when passed. */
  diff: z.string(),
  /** The diff was cut at 256 Ki characters, or not computed: more than 2,000 lines differ. */
  diff_truncated: z.literal(true).optional(),
});
export type TestVerdict = z.infer<typeof TestVerdict>;

/** What one head produced: its result sets (`json`), errors in order, psql text, test verdict. */
export const HeadResult = z.object({
  sets: z.array(ResultSet),
  errors: z.array(HeadError),
  /** The on_error the head ran with (continue when it has an expected output and none was given). */
  on_error: OnError,
  /** The error that ended the head (stop mode). */
  stopped_by: HeadError.optional(),
  output: z.string().optional(),
  output_truncated: z.boolean().optional(),
  test: TestVerdict.optional(),
});
export type HeadResult = z.infer<typeof HeadResult>;

/**
 * `result` of the job view: a one-head job's HeadResult; a `heads` job's is `heads` (one entry per
 * head, in order) and an empty `sets`. Results stored before heads had errors carry `sets` only.
 */
export const JobResult = HeadResult.partial({ errors: true, on_error: true }).extend({
  heads: z.array(HeadResult.extend({ path: z.string() })).optional(),
  /** The job's total cap dropped rows: some set after `stored_bytes` says `truncated` too. */
  truncated: z
    .boolean()
    .optional()
    .describe(
      "true when the job's total result cap (max_bytes) dropped rows, its set cap (max_sets) dropped sets, or its error cap (max_errors) dropped errors",
    ),
  stored_bytes: z
    .number()
    .int()
    .optional()
    .describe("UTF-8 bytes of the values of every stored row of the job"),
  max_bytes: z.number().int().optional().describe("the job's total result cap in UTF-8 bytes"),
  /** Present once the set cap was reached: the sets after the kept ones ran but are not kept. */
  dropped_sets: z
    .number()
    .int()
    .optional()
    .describe("result sets that ran but were not kept: the job's set cap (max_sets) was reached"),
  max_sets: z.number().int().optional().describe("result sets kept per job at most"),
  /** Present once the error cap was reached: later errors happened but are not listed. */
  dropped_errors: z
    .number()
    .int()
    .optional()
    .describe("error entries not kept in `errors`: the job's error cap (max_errors) was reached"),
  max_errors: z.number().int().optional().describe("error entries kept per job at most"),
  max_set_meta_bytes: z
    .number()
    .int()
    .optional()
    .describe("UTF-8 bytes of kept sets' metadata (command, tag, file, columns) per job at most"),
});
export type JobResult = z.infer<typeof JobResult>;

export const JobError = z
  .object({
    code: z.string(),
    message: z.string(),
    sqlstate: z.string().optional(),
    detail: z.string().optional(),
    hint: z.string().optional(),
    file: z.string().optional(),
    line: z.number().int().optional(),
    column: z.number().int().optional(),
  })
  .catchall(z.unknown());
export type JobError = z.infer<typeof JobError>;

export const SnapshotInfo = z.object({
  tail_hash: z.string(),
  layer_id: z.string().nullable(),
  hit: z.boolean(),
  reused_steps: z.number().int(),
  replayed_steps: z.number().int(),
  tail_steps: z.number().int(),
  cache_available: z.boolean(),
  /** The engine that ran the job, with its exact server version, e.g. "postgres-16.14". */
  engine: z.string().optional(),
});
export type SnapshotInfo = z.infer<typeof SnapshotInfo>;

export const Metrics = z.object({
  latency_ms: z.number().nullable(),
  stages_ms: z.record(z.string(), z.number()),
  cache_hit: z.boolean().nullable(),
  retries: z.number().int(),
});
export type Metrics = z.infer<typeof Metrics>;

/** A job waiting for a slot (docs/limits.md, admission): where it stands in the fair queue. */
export const QueuePlace = z.object({
  /** 1 = the next job to get a slot (the order is fair across users, not first come). */
  position: z.number().int().nullable(),
  queued: z.number().int(),
  running: z.number().int(),
  max_running: z.number().int(),
  user_running: z.number().int(),
  user_max_running: z.number().int(),
});
export type QueuePlace = z.infer<typeof QueuePlace>;

export const JobView = z.object({
  job_id: z.string(),
  request_id: z.string(),
  mode: z.enum(["short", "long"]),
  status: JobStatus,
  stage: StageName.nullable(),
  stages: z.array(Stage),
  head_path: z.string().nullable(),
  parts: z.array(z.number().int()),
  file_count: z.number().int(),
  snapshot: SnapshotInfo.nullable(),
  result: JobResult.nullable(),
  /** How the head(s) run: as given at create or run (null: not given, see docs/api.md). */
  on_error: OnError.nullable(),
  output: z.array(OutputKind),
  echo: Echo,
  heads: z.array(z.string()).nullable(),
  error: JobError.nullable(),
  metrics: Metrics,
  logs: z.array(JobEvent),
  last_seq: z.number().int(),
  created_at: z.string(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  expires_at: z.string(),
  /** The user's plan (X-User-Plan at create) and the job's webhook (docs/lifecycle.md). */
  plan: z.string(),
  webhook: z.object({ url: z.string(), events: z.array(WebhookEvent) }).nullable(),
  links: z.object({ self: z.string(), logs: z.string(), result: z.string() }),
  /** While the job waits for a slot: its place in the admission queue; null otherwise. */
  queue: QueuePlace.nullable(),
});
export type JobView = z.infer<typeof JobView>;

/** `GET /v1/jobs/{id}/result?set=&after=&limit=`: one page of a stored result set's rows. */
export const ResultPage = z.object({
  job_id: z.string(),
  set_id: z.number().int(),
  /** The head the set belongs to (a `heads` job), else the job's head. */
  head_path: z.string().nullable(),
  command: z.string(),
  tag: z.string(),
  columns: z.array(z.object({ name: z.string(), type: z.string() })),
  row_count: z.number().int(),
  stored_rows: z.number().int(),
  truncated: z.boolean(),
  /** Row number (0-based) of the first row of this page: the `after` asked for. */
  after: z.number().int(),
  rows: z.array(z.array(z.string().nullable())),
  next_after: z
    .number()
    .int()
    .nullable()
    .describe("the `after` of the next page; null when this page ends the stored rows"),
  next: z.string().nullable(),
});
export type ResultPage = z.infer<typeof ResultPage>;

export const LogsResponse = z.object({
  job_id: z.string(),
  status: JobStatus,
  events: z.array(JobEvent),
  next_after: z.number().int(),
  done: z.boolean(),
});
export type LogsResponse = z.infer<typeof LogsResponse>;

export const ExtendResponse = z.object({
  job_id: z.string(),
  plan: z.string(),
  expires_at: z.string(),
  layers_pinned_until: z.string().nullable(),
});
export type ExtendResponse = z.infer<typeof ExtendResponse>;

export const WebhookDeliveries = z.object({
  job_id: z.string(),
  messages: z.array(
    z.object({
      webhook_id: z.string(),
      event_type: WebhookEvent,
      state: z.enum(["pending", "delivered", "failed"]),
      attempts: z.number().int(),
      next_attempt_at: z.string().nullable(),
    }),
  ),
  attempts: z.array(
    z.object({
      webhook_id: z.string(),
      event_type: WebhookEvent,
      at: z.string(),
      status_code: z.number().int().nullable(),
      duration_ms: z.number(),
      error: z.string().nullable(),
    }),
  ),
});
export type WebhookDeliveries = z.infer<typeof WebhookDeliveries>;

/** Codes a run ends with (besides a planner's 4xx codes, which pass through as they are). */
export const RunErrorCode = z.enum([
  "timeout",
  "tail_error",
  "head_error",
  "env_unavailable",
  "instance_lost",
  "quota_exceeded",
  "snapshot_cache_unavailable",
  "canceled",
  "internal",
]);
export type RunErrorCode = z.infer<typeof RunErrorCode>;

/** Where a job's events go: stored first (numbered), then published to live subscribers. */
export type Emit = (type: EventType, data: Record<string, unknown>) => void;

/** Milliseconds as reported in stages and events: one decimal. */
export function roundMs(ms: number): number {
  return Math.round(ms * 10) / 10;
}
