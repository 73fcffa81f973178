// Zod schemas of the public HTTP API: the query strings and the request and response bodies the
// routes declare (src/api/*-routes.ts), each named once here with `.meta({ id })`: that id is the
// schema's name under `components.schemas` of the OpenAPI document generated from the routes.
// The job's own vocabulary lives in the jobs room: what a job is given in src/jobs/job-input.ts,
// its statuses, stages, events, results, errors and view in src/jobs/model.ts; the edge names the
// parts it serves.
import { z } from "zod";
import { BLOB_LIMITS, DIGEST_PATTERN } from "../jobs/blob-upload.ts";
import * as input from "../jobs/job-input.ts";
import * as model from "../jobs/model.ts";
import { JobStatus } from "../jobs/model.ts";
import { RESULT_LIMITS } from "../limits/limits.ts";

export { DEFAULTS, ProjectTree } from "../jobs/job-input.ts";
export { JobEvent, JobStatus } from "../jobs/model.ts";

export const CreateJobBody = input.CreateJobBody.meta({ id: "CreateJobBody" });
export const AppendBody = input.AppendBody.meta({ id: "AppendBody" });
export const RunBody = input.RunBody.meta({ id: "RunBody" });
export const ExtendBody = input.ExtendBody.meta({ id: "ExtendBody" });
export const JobView = model.JobView.meta({ id: "JobView" });
export const LogsResponse = model.LogsResponse.meta({ id: "LogsResponse" });
export const ResultPage = model.ResultPage.meta({ id: "ResultPage" });
export const ExtendResponse = model.ExtendResponse.meta({ id: "ExtendResponse" });
export const WebhookDeliveries = model.WebhookDeliveries.meta({ id: "WebhookDeliveries" });

/**
 * An integer query parameter. Its OpenAPI schema is stated in full: the generator calls a schema
 * nullable when it parses null (a coerced 0 does), and a stated `type` replaces what it generates.
 */
function queryInt(min: number, max: number | undefined, fallback: number, description: string) {
  const n = z.coerce.number().int().min(min);
  return (max === undefined ? n : n.max(max)).default(fallback).meta({
    type: "integer",
    minimum: min,
    ...(max === undefined ? {} : { maximum: max }),
    default: fallback,
    description,
  });
}

/** `GET /v1/jobs/{id}/result`: which set, the cursor (a row number) and the page size. */
export const ResultQuery = z.strictObject({
  set: z.coerce.number().int().min(0).meta({
    type: "integer",
    minimum: 0,
    description: "the set's `set_id` in the job view",
  }),
  after: queryInt(0, undefined, 0, "the cursor: rows already read (a row number, 0-based)"),
  limit: queryInt(
    1,
    RESULT_LIMITS.pageMaxRows,
    RESULT_LIMITS.pageDefaultRows,
    `rows per page; a page also stops before passing ${RESULT_LIMITS.pageMaxBytes} bytes of values (one row at least)`,
  ),
});

export const ViewQuery = z.strictObject({
  wait_ms: queryInt(0, 30_000, 0, "long poll: answer when the job ends or after this many ms"),
});

export const LogsQuery = z.strictObject({
  after: queryInt(0, undefined, 0, "the events after this seq"),
  limit: queryInt(1, 1000, 200, "JSON only"),
});

/** `{job_id}`: any string reaches the route; one not of this pattern answers 404 like a missing job. */
export const JobParams = z.object({
  job_id: z.string().meta({ pattern: "^[0-9a-f]{32}$" }),
});

/** `{digest}`: checked by the route (400 `validation_failed`, field `digest`). */
export const DigestParams = z.object({
  digest: z
    .string()
    .meta({ pattern: DIGEST_PATTERN.source, description: "the SHA-256 of the body's bytes" }),
});

// Headers are documented as plain parameters: the routes' middleware reads them (auth.ts).
export const userHeader = {
  name: "X-User-Id",
  in: "header" as const,
  required: true,
  schema: { type: "string" as const, minLength: 1, maxLength: 200 },
  description: "the acting user; another user's job answers 404",
};

export const planHeader = {
  name: "X-User-Plan",
  in: "header" as const,
  required: false,
  schema: { type: "string" as const, default: "free" },
  description: "the user's plan, stated by the gateway (docs/lifecycle.md)",
};

const CreateJobAnswer = z.object({
  job_id: z.string(),
  status: JobStatus,
  created: z.boolean(),
  links: z.object({ self: z.string(), logs: z.string() }),
});
export const CreateJobResponse = CreateJobAnswer.meta({ id: "CreateJobResponse" });

export const AppendResponse = z
  .object({
    job_id: z.string(),
    part: z.number().int(),
    parts: z.array(z.number().int()),
    file_count: z.number().int(),
    duplicate: z.boolean(),
  })
  .meta({ id: "AppendResponse" });

export const ErrorBody = z
  .object({
    error: z
      .object({ code: z.string(), message: z.string() })
      .catchall(z.unknown())
      .describe("The one error shape of every 4xx/5xx answer; codes in docs/api.md"),
  })
  .meta({ id: "Error" });

/** `POST /v1/blobs/missing`: digests the caller is about to name by etag. */
export const MissingBlobsBody = z
  .strictObject({
    digests: z
      .array(z.string().regex(DIGEST_PATTERN, "must be sha256:<64 lowercase hex>"))
      .max(BLOB_LIMITS.maxDigests),
  })
  .meta({ id: "MissingBlobsBody" });

export const MissingBlobsResponse = z
  .object({
    missing: z.array(z.string()).describe("the digests to upload before naming them by etag"),
  })
  .meta({ id: "MissingBlobsResponse" });

export const BlobStored = z
  .object({ digest: z.string(), size_bytes: z.number().int() })
  .meta({ id: "BlobStored" });

/** `POST /v1/jobs/{id}/run`: like a create's answer, without `created` (a run is not a create). */
export const RunJobResponse = CreateJobAnswer.omit({ created: true }).meta({
  id: "RunJobResponse",
});

export const CancelResponse = z
  .object({ job_id: z.string(), status: JobStatus })
  .meta({ id: "CancelResponse" });

export const TicketResponse = z
  .object({
    ticket: z.string(),
    expires_at: z.iso.datetime(),
    ws_url: z.string().describe("the WebSocket URL to open, ticket included"),
  })
  .meta({ id: "TicketResponse" });

/** A 500: the same shape, code `internal`, and the `id` of the log line that holds the cause. */
export const InternalErrorBody = z
  .object({
    error: z
      .object({ code: z.literal("internal"), message: z.string(), id: z.string() })
      .catchall(z.unknown()),
  })
  .meta({ id: "InternalError" });

export const HealthResponse = z
  .object({
    status: z.literal("ok"),
    service: z.literal("sql-runner"),
    version: z.string(),
    compatibility_date: z.string(),
  })
  .meta({ id: "Health" });

const Check = z.object({ ok: z.boolean(), ms: z.number(), reason: z.string().optional() });
export const ReadyResponse = z
  .object({
    status: z.enum(["ready", "not_ready"]),
    ready: z.boolean(),
    checks: z.record(z.string(), Check),
    down: z.array(z.string()).describe("the platform services that did not answer 2xx"),
  })
  .meta({ id: "Ready" });

export const SweepResponse = z
  .object({
    files_deleted: z.number().int(),
    files_bytes: z.number().int(),
    layers_deleted: z.number().int(),
    layers_bytes: z.number().int(),
    instances_destroyed: z.number().int(),
    errors: z.array(
      z.object({ part: z.enum(["files", "layers", "instances"]), message: z.string() }),
    ),
    ms: z.number(),
  })
  .meta({ id: "SweepReport" });
