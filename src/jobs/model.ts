// The job's own vocabulary as zod schemas: what a job is given (create, part, run: strict, unknown
// fields are rejected), its statuses, stages, events, results, errors and view. The record room
// (src/jobs), the run room (src/run), the live room and the objects use these; the HTTP edge
// (src/api/schemas.ts) builds its request and response schemas from them, never the other way.
import { z } from "zod";

/** Limits of what a job is given, checked before the planner sees the tree. */
export const JOB_LIMITS = {
  maxIdLength: 200,
  maxVariables: 100,
  maxVariableBytes: 64 * 1024,
  maxTelemetryEntries: 32,
  maxParts: 1000,
  /** Heads of one job (`heads`, after folders are expanded). */
  maxHeads: 100,
} as const;

export const DEFAULTS = {
  snapshotTtl: 7 * 24 * 3600,
  jobTtl: 24 * 3600,
  timeoutMs: 60_000,
} as const;

const Id = z
  .string()
  .min(1)
  .max(JOB_LIMITS.maxIdLength)
  .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces");

/** A file of the project tree: its text, `{ content }`, or `{ etag }` (see docs/project-format.md). */
export const TreeEntry = z.union([
  z.string(),
  z.strictObject({ content: z.string() }),
  z.strictObject({ etag: z.string() }),
]);
export const ProjectTree = z.record(z.string(), TreeEntry);
export type ProjectTree = z.infer<typeof ProjectTree>;

export const Variables = z
  .record(
    z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "variable names are letters, digits and _"),
    z.string().max(JOB_LIMITS.maxVariableBytes),
  )
  .refine((v) => Object.keys(v).length <= JOB_LIMITS.maxVariables, {
    message: `at most ${JOB_LIMITS.maxVariables} variables`,
  });

/** The terminal events a job's webhook may subscribe to (docs/lifecycle.md). */
export const WEBHOOK_EVENTS = ["job.completed", "job.failed", "job.canceled"] as const;
export const WebhookEvent = z.enum(WEBHOOK_EVENTS);
export type WebhookEvent = z.infer<typeof WebhookEvent>;

/** `webhook` of a create body: where the job's terminal events are delivered, signed. */
export const WebhookSpec = z.strictObject({
  url: z.string().min(1).max(2048),
  events: z.array(WebhookEvent).min(1).max(WEBHOOK_EVENTS.length).optional(),
});
export type WebhookSpec = z.infer<typeof WebhookSpec>;

/** `on_error` of a head: psql's ON_ERROR_STOP on (`stop`) or off (`continue`). Tail steps always stop. */
export const OnError = z.enum(["stop", "continue"]);
export type OnError = z.infer<typeof OnError>;

/** What a head's result carries: `json` (result sets as rows), `psql` (the text psql prints). */
export const OutputKind = z.enum(["json", "psql"]);
export type OutputKind = z.infer<typeof OutputKind>;
/** `output`: one kind or both (`"psql"`, `["json", "psql"]`); normalized to a list without repeats. */
export const Output = z
  .union([OutputKind, z.array(OutputKind).min(1).max(OutputKind.options.length)])
  .transform((v) => [...new Set(Array.isArray(v) ? v : [v])]);

/** `echo`: `all` echoes the input lines into the psql text, as `psql -a` does. */
export const Echo = z.enum(["none", "all"]);
export type Echo = z.infer<typeof Echo>;

/** `heads`: several heads on one tail; an entry ending in `/` stands for every .sql file under it. */
export const Heads = z
  .array(z.string().min(1).max(1024))
  .min(1)
  .max(JOB_LIMITS.maxHeads, { message: `at most ${JOB_LIMITS.maxHeads} heads` });

/** How the head(s) run, as stored with the job (`heads` already expanded and checked). */
export interface HeadOptions {
  on_error?: OnError;
  output?: OutputKind[];
  echo?: Echo;
  heads?: string[];
}

const headFields = {
  on_error: OnError.optional().describe(
    "head only: stop at the first error (psql ON_ERROR_STOP) or run every statement; default stop, continue for a head with an expected output file",
  ),
  output: Output.optional().describe(
    'what the result carries: "json" (result sets), "psql" (the text psql -X -q prints) or both; default json',
  ),
  echo: Echo.optional().describe('"all": input lines in the psql text, as psql -a; default none'),
  heads: Heads.optional().describe(
    "instead of head_path: several heads on one tail, each in its own session; dir/ stands for its .sql files",
  ),
};

const oneHeadField = {
  message: "give head_path or heads, not both",
  path: ["heads"],
};

export const CreateJobBody = z
  .strictObject({
    request_id: Id,
    user_id: Id,
    mode: z.enum(["short", "long"]).default("short"),
    project_tree: ProjectTree.optional(),
    head_path: z.string().min(1).optional(),
    variables: Variables.default({}),
    snapshot_ttl: z
      .number()
      .int()
      .min(60)
      .max(90 * 24 * 3600)
      .default(DEFAULTS.snapshotTtl),
    job_ttl: z
      .number()
      .int()
      .min(60)
      .max(30 * 24 * 3600)
      .default(DEFAULTS.jobTtl),
    timeout_ms: z.number().int().min(100).max(900_000).default(DEFAULTS.timeoutMs),
    telemetry_context: z
      .record(z.string(), z.string().max(1024))
      .refine((v) => Object.keys(v).length <= JOB_LIMITS.maxTelemetryEntries, {
        message: `at most ${JOB_LIMITS.maxTelemetryEntries} entries`,
      })
      .default({}),
    webhook: WebhookSpec.optional(),
    ...headFields,
  })
  .refine((b) => b.head_path === undefined || b.heads === undefined, oneHeadField);
export type CreateJobBody = z.infer<typeof CreateJobBody>;

/** `POST /v1/jobs/{id}/extend`: seconds from now, each within the user's plan. */
export const ExtendBody = z
  .strictObject({
    job_ttl: z.number().int().min(60).optional(),
    snapshot_ttl: z.number().int().min(60).optional(),
  })
  .refine((b) => b.job_ttl !== undefined || b.snapshot_ttl !== undefined, {
    message: "give job_ttl, snapshot_ttl or both",
  });
export type ExtendBody = z.infer<typeof ExtendBody>;

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

export const AppendBody = z.strictObject({
  part: z.number().int().min(1).max(JOB_LIMITS.maxParts),
  project_tree: ProjectTree,
});
export type AppendBody = z.infer<typeof AppendBody>;

export const RunBody = z
  .strictObject({
    head_path: z.string().min(1).optional(),
    variables: Variables.optional(),
    ...headFields,
  })
  .refine((b) => b.head_path === undefined || b.heads === undefined, oneHeadField);
export type RunBody = z.infer<typeof RunBody>;

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
