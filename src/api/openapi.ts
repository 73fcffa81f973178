// The OpenAPI 3.1 document of the Worker's API (served at GET /v1/openapi.json): every route of
// src/api/app.ts except the playground's, each with an operationId and every status it answers;
// the bodies are generated from the zod schemas in schemas.ts that the routes answer with.
// test/api/openapi-responses.*.test.ts check real answers of every route against it.
import { z } from "zod";
import { ExtendBody, ExtendResponse, WebhookDeliveries } from "../jobs/model.ts";
import { RESULT_LIMITS } from "../limits/limits.ts";
import {
  AppendBody,
  AppendResponse,
  BlobStored,
  CancelResponse,
  CreateJobBody,
  CreateJobResponse,
  ErrorBody,
  HealthResponse,
  InternalErrorBody,
  JobView,
  LogsResponse,
  MissingBlobsBody,
  MissingBlobsResponse,
  ReadyResponse,
  ResultPage,
  RunBody,
  RunJobResponse,
  SweepResponse,
  TicketResponse,
} from "./schemas.ts";

type Json = Record<string, unknown>;

function schema(s: z.ZodType, io: "input" | "output"): Json {
  const out = z.toJSONSchema(s, { io, unrepresentable: "any" }) as Json;
  delete out.$schema;
  return out;
}

const errorRef = { $ref: "#/components/schemas/Error" };

/** The listed 4xx/503 answers, and the 500 every route can answer (a bug: `error.id` names the
 * log line with the cause, docs/operations.md). */
function errors(...statuses: number[]): Json {
  const out: Json = {};
  for (const s of statuses) {
    out[String(s)] = {
      description: "error (see docs/api.md for every code)",
      content: { "application/json": { schema: errorRef } },
    };
  }
  out["500"] = {
    description: "internal: a bug; the message says nothing more, `error.id` names the log line",
    content: { "application/json": { schema: { $ref: "#/components/schemas/InternalError" } } },
  };
  return out;
}

/** 429 too_many_jobs: the admission queue is full (docs/limits.md); Retry-After says when. */
function tooManyJobs(): Json {
  return {
    "429": {
      description:
        "too_many_jobs: the user's or the service's admission queue is full; `limit_name`, `limit` and `retry_after_s` say which and when",
      headers: {
        "Retry-After": {
          description: "seconds to wait before trying again",
          schema: { type: "integer", minimum: 1 },
        },
      },
      content: { "application/json": { schema: errorRef } },
    },
  };
}

function ok(status: number, ref: string, description: string): Json {
  return {
    [String(status)]: {
      description,
      content: { "application/json": { schema: { $ref: `#/components/schemas/${ref}` } } },
    },
  };
}

function body(ref: string, required = true): Json {
  return {
    required,
    content: { "application/json": { schema: { $ref: `#/components/schemas/${ref}` } } },
  };
}

const jobIdParam = {
  name: "job_id",
  in: "path",
  required: true,
  schema: { type: "string", pattern: "^[0-9a-f]{32}$" },
};
const userHeader = {
  name: "X-User-Id",
  in: "header",
  required: true,
  schema: { type: "string" },
  description: "the acting user; another user's job answers 404",
};

const digestParam = {
  name: "digest",
  in: "path",
  required: true,
  schema: { type: "string", pattern: "^sha256:[0-9a-f]{64}$" },
  description: "the SHA-256 of the body's bytes",
};

const planHeader = {
  name: "X-User-Plan",
  in: "header",
  required: false,
  schema: { type: "string", default: "free" },
  description: "the user's plan, stated by the gateway (docs/lifecycle.md)",
};

function json(schema: Json, description: string): Json {
  return { description, content: { "application/json": { schema } } };
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
// No bearer token: the service routes (health, readiness, this document, the live page).
const open = { security: [] };

export function openApiDocument(version: string): Json {
  const params = [jobIdParam, userHeader];
  return {
    openapi: "3.1.0",
    info: {
      title: "sql-runner jobs API",
      version,
      description: "Deterministic, cached execution of SQL script chains. See docs/api.md.",
    },
    security: [{ gateway: [] }],
    paths: {
      "/healthz": {
        get: {
          operationId: "health",
          summary: "Liveness: answers without touching anything",
          ...open,
          responses: { "200": json(ref("Health"), "alive"), ...errors() },
        },
      },
      "/readyz": {
        get: {
          operationId: "readiness",
          summary: "Readiness: asks env-manager and snapshot-cache; 503 names the ones down",
          ...open,
          responses: {
            "200": json(ref("Ready"), "ready"),
            "503": json(ref("Ready"), "not ready: `down` names the services"),
            ...errors(),
          },
        },
      },
      "/v1/openapi.json": {
        get: {
          operationId: "openApiDocument",
          summary: "This document",
          ...open,
          responses: { "200": json({ type: "object" }, "the OpenAPI 3.1 document"), ...errors() },
        },
      },
      "/live": {
        get: {
          operationId: "livePage",
          summary: "A minimal page that follows a job's events (docs/live.md)",
          ...open,
          responses: {
            "200": {
              description: "the page",
              content: { "text/html": { schema: { type: "string" } } },
            },
            ...errors(),
          },
        },
      },
      "/v1/jobs": {
        post: {
          operationId: "createJob",
          summary: "Create a job (short: starts at once; long: assemble with append, then run)",
          parameters: [planHeader],
          requestBody: body("CreateJobBody"),
          responses: {
            ...ok(202, "CreateJobResponse", "accepted"),
            ...errors(400, 401, 403, 409, 413, 422),
            ...tooManyJobs(),
          },
        },
      },
      "/v1/jobs/{job_id}/append": {
        post: {
          operationId: "appendPart",
          summary: "Add a numbered part of the project tree to a long job",
          parameters: params,
          requestBody: body("AppendBody"),
          responses: {
            ...ok(200, "AppendResponse", "stored"),
            ...errors(400, 401, 404, 409, 413, 422),
          },
        },
      },
      "/v1/jobs/{job_id}/run": {
        post: {
          operationId: "runJob",
          summary: "Start an assembled long job",
          parameters: params,
          requestBody: body("RunBody", false),
          responses: {
            ...ok(202, "RunJobResponse", "started"),
            ...errors(400, 401, 404, 409, 413, 422),
            ...tooManyJobs(),
          },
        },
      },
      "/v1/jobs/{job_id}": {
        get: {
          operationId: "getJob",
          summary: "The job: status, stages, snapshot, result, error, metrics, last log lines",
          parameters: [
            ...params,
            {
              name: "wait_ms",
              in: "query",
              description: "long poll: answer when the job ends or after this many ms",
              schema: { type: "integer", minimum: 0, maximum: 30000, default: 0 },
            },
          ],
          responses: { ...ok(200, "JobView", "the job"), ...errors(400, 401, 404) },
        },
      },
      "/v1/jobs/{job_id}/logs": {
        get: {
          operationId: "jobEvents",
          summary:
            "Numbered events after a cursor; `Accept: text/event-stream` gives Server-Sent Events (docs/live.md)",
          parameters: [
            ...params,
            { name: "after", in: "query", schema: { type: "integer", minimum: 0, default: 0 } },
            {
              name: "limit",
              in: "query",
              description: "JSON only",
              schema: { type: "integer", minimum: 1, maximum: 1000, default: 200 },
            },
            {
              name: "Last-Event-ID",
              in: "header",
              description: "SSE only: resume after this seq (wins over `after`)",
              schema: { type: "integer", minimum: 0 },
            },
          ],
          responses: {
            "200": {
              description:
                "events: a page (JSON), or a stream of `id:`/`event:`/`data:` frames (SSE)",
              content: {
                "application/json": { schema: ref("LogsResponse") },
                "text/event-stream": { schema: { type: "string" } },
              },
            },
            "204": {
              description: "SSE only: the job is over and no event is left after the cursor",
            },
            ...errors(400, 401, 404),
          },
        },
      },
      "/v1/jobs/{job_id}/result": {
        get: {
          operationId: "jobResultPage",
          summary:
            "One page of a stored result set: rows from row number `after` on (the view carries only the first rows of each set)",
          parameters: [
            ...params,
            {
              name: "set",
              in: "query",
              required: true,
              description: "the set's `set_id` in the job view",
              schema: { type: "integer", minimum: 0 },
            },
            {
              name: "after",
              in: "query",
              description: "the cursor: rows already read (a row number, 0-based)",
              schema: { type: "integer", minimum: 0, default: 0 },
            },
            {
              name: "limit",
              in: "query",
              description: `rows per page; a page also stops before passing ${RESULT_LIMITS.pageMaxBytes} bytes of values (one row at least)`,
              schema: {
                type: "integer",
                minimum: 1,
                maximum: RESULT_LIMITS.pageMaxRows,
                default: RESULT_LIMITS.pageDefaultRows,
              },
            },
          ],
          responses: {
            ...ok(200, "ResultPage", "a page of rows; `next_after` null at the end"),
            ...errors(400, 401, 404, 409),
          },
        },
      },
      "/v1/jobs/{job_id}/ticket": {
        post: {
          operationId: "issueTicket",
          summary:
            "A short-lived HMAC ticket for the job's WebSocket (browsers cannot send headers)",
          parameters: params,
          responses: {
            ...ok(200, "TicketResponse", "the ticket"),
            ...errors(400, 401, 404, 413, 503),
          },
        },
      },
      "/v1/jobs/{job_id}/ws": {
        get: {
          operationId: "jobWebSocket",
          summary: "WebSocket upgrade: the job's numbered events (`?ticket=`, `?after=`)",
          parameters: [
            { name: "job_id", in: "path", required: true, schema: { type: "string" } },
            { name: "ticket", in: "query", schema: { type: "string" } },
            { name: "after", in: "query", schema: { type: "integer", minimum: 0 } },
          ],
          description: "Authenticated by `?ticket=` or by the gateway's bearer token.",
          security: [],
          responses: {
            "101": { description: "switching protocols" },
            ...errors(400, 401, 403, 404, 426, 503),
          },
        },
      },
      "/v1/jobs/{job_id}/cancel": {
        post: {
          operationId: "cancelJob",
          summary: "Cancel the job (idempotent)",
          parameters: params,
          responses: {
            ...ok(200, "CancelResponse", "the job's status after the cancel"),
            ...errors(400, 401, 404, 413),
          },
        },
      },
      "/v1/jobs/{job_id}/extend": {
        post: {
          operationId: "extendJob",
          summary:
            "Extend the job's expiry and pin its layer, within the user's plan (X-User-Plan)",
          parameters: [...params, planHeader],
          requestBody: body("ExtendBody"),
          responses: {
            ...ok(200, "ExtendResponse", "extended"),
            ...errors(400, 401, 403, 404, 413, 422),
          },
        },
      },
      "/v1/jobs/{job_id}/webhooks": {
        get: {
          operationId: "jobWebhooks",
          summary: "The job's webhook messages and every delivery attempt",
          parameters: params,
          responses: { ...ok(200, "WebhookDeliveries", "deliveries"), ...errors(400, 401, 404) },
        },
      },
      "/v1/blobs/missing": {
        post: {
          operationId: "missingBlobs",
          summary:
            "Which of these digests the user must upload before naming them by etag (their own uploads and inline files only)",
          parameters: [userHeader],
          requestBody: body("MissingBlobsBody"),
          responses: {
            ...ok(200, "MissingBlobsResponse", "the digests to upload"),
            ...errors(400, 401, 413),
          },
        },
      },
      "/v1/blobs/{digest}": {
        put: {
          operationId: "uploadBlob",
          summary:
            "Upload one file's bytes (raw body, Content-Length required, verified against the digest)",
          parameters: [digestParam, userHeader],
          requestBody: {
            required: true,
            content: {
              "application/octet-stream": { schema: { type: "string", format: "binary" } },
            },
          },
          responses: {
            ...ok(201, "BlobStored", "stored (the same answer whether it was stored before)"),
            ...errors(400, 401, 411, 413, 422),
          },
        },
      },
      "/v1/admin/sweep": {
        post: {
          operationId: "sweepNow",
          summary:
            "Run the scheduled sweep now (content, layers, orphaned instances; docs/lifecycle.md)",
          responses: { ...ok(200, "SweepReport", "what it deleted"), ...errors(401) },
        },
      },
    },
    components: {
      securitySchemes: { gateway: { type: "http", scheme: "bearer" } },
      schemas: {
        CreateJobBody: schema(CreateJobBody, "input"),
        AppendBody: schema(AppendBody, "input"),
        RunBody: schema(RunBody, "input"),
        CreateJobResponse: schema(CreateJobResponse, "output"),
        RunJobResponse: schema(RunJobResponse, "output"),
        AppendResponse: schema(AppendResponse, "output"),
        JobView: schema(JobView, "output"),
        LogsResponse: schema(LogsResponse, "output"),
        ResultPage: schema(ResultPage, "output"),
        CancelResponse: schema(CancelResponse, "output"),
        TicketResponse: schema(TicketResponse, "output"),
        ExtendBody: schema(ExtendBody, "input"),
        ExtendResponse: schema(ExtendResponse, "output"),
        WebhookDeliveries: schema(WebhookDeliveries, "output"),
        MissingBlobsBody: schema(MissingBlobsBody, "input"),
        MissingBlobsResponse: schema(MissingBlobsResponse, "output"),
        BlobStored: schema(BlobStored, "output"),
        SweepReport: schema(SweepResponse, "output"),
        Health: schema(HealthResponse, "output"),
        Ready: schema(ReadyResponse, "output"),
        Error: schema(ErrorBody, "output"),
        InternalError: schema(InternalErrorBody, "output"),
      },
    },
  };
}
