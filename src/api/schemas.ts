// Zod schemas of the public HTTP API: the body cap, query strings and the response shapes the
// routes answer with. The job's own vocabulary (what a job is given, statuses, stages, events,
// results, errors, the view) lives in the jobs room (src/jobs/model.ts) and is re-exported here
// for the edge; the OpenAPI document (`openapi.ts`) is generated from these.
import { z } from "zod";
import { BLOB_LIMITS, DIGEST_PATTERN } from "../jobs/blob-upload.ts";
import { JOB_LIMITS, JobStatus } from "../jobs/model.ts";
import { RESULT_LIMITS } from "../limits/limits.ts";

export {
  AppendBody,
  CreateJobBody,
  DEFAULTS,
  JobEvent,
  JobStatus,
  JobView,
  LogsResponse,
  ProjectTree,
  ResultPage,
  RunBody,
} from "../jobs/model.ts";

/** Limits of the request bodies that the API checks before the planner sees the tree (the body
 * size cap is in src/limits/limits.ts). */
export const API_LIMITS = {
  ...JOB_LIMITS,
} as const;

export const ViewQuery = z.strictObject({
  /** Long poll: answer as soon as the job ends, or after this many ms (0: at once). */
  wait_ms: z.coerce.number().int().min(0).max(30_000).default(0),
});

export const LogsQuery = z.strictObject({
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

/** `GET /v1/jobs/{id}/result`: which set, the cursor (a row number) and the page size. */
export const ResultQuery = z.strictObject({
  set: z.coerce.number().int().min(0),
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(RESULT_LIMITS.pageMaxRows)
    .default(RESULT_LIMITS.pageDefaultRows),
});

export const CreateJobResponse = z.object({
  job_id: z.string(),
  status: JobStatus,
  created: z.boolean(),
  links: z.object({ self: z.string(), logs: z.string() }),
});

export const AppendResponse = z.object({
  job_id: z.string(),
  part: z.number().int(),
  parts: z.array(z.number().int()),
  file_count: z.number().int(),
  duplicate: z.boolean(),
});

export const ErrorBody = z.object({
  error: z
    .object({ code: z.string(), message: z.string() })
    .catchall(z.unknown())
    .describe("The one error shape of every 4xx/5xx answer; codes in docs/api.md"),
});

/** `POST /v1/blobs/missing`: digests the caller is about to name by etag. */
export const MissingBlobsBody = z.strictObject({
  digests: z
    .array(z.string().regex(DIGEST_PATTERN, "must be sha256:<64 lowercase hex>"))
    .max(BLOB_LIMITS.maxDigests),
});

export const MissingBlobsResponse = z.object({
  missing: z.array(z.string()).describe("the digests to upload before naming them by etag"),
});

export const BlobStored = z.object({ digest: z.string(), size_bytes: z.number().int() });

/** `POST /v1/jobs/{id}/run`: like a create's answer, without `created` (a run is not a create). */
export const RunJobResponse = CreateJobResponse.omit({ created: true });

export const CancelResponse = z.object({ job_id: z.string(), status: JobStatus });

export const TicketResponse = z.object({
  ticket: z.string(),
  expires_at: z.iso.datetime(),
  ws_url: z.string().describe("the WebSocket URL to open, ticket included"),
});

/** A 500: the same shape, code `internal`, and the `id` of the log line that holds the cause. */
export const InternalErrorBody = z.object({
  error: z
    .object({ code: z.literal("internal"), message: z.string(), id: z.string() })
    .catchall(z.unknown()),
});

export const HealthResponse = z.object({
  status: z.literal("ok"),
  service: z.literal("sql-runner"),
  version: z.string(),
  compatibility_date: z.string(),
});

const Check = z.object({ ok: z.boolean(), ms: z.number(), reason: z.string().optional() });
export const ReadyResponse = z.object({
  status: z.enum(["ready", "not_ready"]),
  ready: z.boolean(),
  checks: z.record(z.string(), Check),
  down: z.array(z.string()).describe("the platform services that did not answer 2xx"),
});

export const SweepResponse = z.object({
  files_deleted: z.number().int(),
  files_bytes: z.number().int(),
  layers_deleted: z.number().int(),
  layers_bytes: z.number().int(),
  instances_destroyed: z.number().int(),
  errors: z.array(
    z.object({ part: z.enum(["files", "layers", "instances"]), message: z.string() }),
  ),
  ms: z.number(),
});
