// What a job is given, as zod schemas: the create, part, run and extend bodies (strict: unknown
// fields are rejected), their limits and defaults, the project tree, variables, webhook and the
// options of how heads run. Apart from model.ts (what a job is and answers) because the two change
// for different reasons: a new input field versus a new status, event or result.
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
