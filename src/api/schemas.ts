// Zod schemas of the public HTTP API: the body cap, query strings and the response shapes the
// routes answer with. The job's own vocabulary (what a job is given, statuses, stages, events,
// results, errors, the view) lives in the jobs room (src/jobs/model.ts) and is re-exported here
// for the edge; the OpenAPI document (`openapi.ts`) is generated from these.
import { z } from "zod";
import { BLOB_LIMITS, DIGEST_PATTERN } from "../jobs/blob-upload.ts";
import { JOB_LIMITS, JobStatus } from "../jobs/model.ts";

export {
  AppendBody,
  CreateJobBody,
  DEFAULTS,
  JobEvent,
  JobStatus,
  JobView,
  LogsResponse,
  ProjectTree,
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
