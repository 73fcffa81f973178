// The OpenAPI 3.1 document of the jobs API, generated from the zod schemas in schemas.ts
// (served at GET /v1/openapi.json).
import { z } from "zod";
import { ExtendBody, ExtendResponse, WebhookDeliveries } from "../jobs/model.ts";
import {
  AppendBody,
  AppendResponse,
  BlobStored,
  CreateJobBody,
  CreateJobResponse,
  ErrorBody,
  JobStatus,
  JobView,
  LogsResponse,
  MissingBlobsBody,
  MissingBlobsResponse,
  RunBody,
} from "./schemas.ts";

type Json = Record<string, unknown>;

function schema(s: z.ZodType, io: "input" | "output"): Json {
  const out = z.toJSONSchema(s, { io, unrepresentable: "any" }) as Json;
  delete out.$schema;
  return out;
}

const errorRef = { $ref: "#/components/schemas/Error" };

function errors(...statuses: number[]): Json {
  const out: Json = {};
  for (const s of statuses) {
    out[String(s)] = {
      description: "error (see docs/api.md for every code)",
      content: { "application/json": { schema: errorRef } },
    };
  }
  return out;
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
      "/v1/jobs": {
        post: {
          summary: "Create a job (short: starts at once; long: assemble with append, then run)",
          requestBody: body("CreateJobBody"),
          responses: {
            ...ok(202, "CreateJobResponse", "accepted"),
            ...errors(400, 401, 403, 409, 413, 422),
          },
        },
      },
      "/v1/jobs/{job_id}/append": {
        post: {
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
          summary: "Start an assembled long job",
          parameters: params,
          requestBody: body("RunBody", false),
          responses: {
            ...ok(202, "CreateJobResponse", "started"),
            ...errors(400, 401, 404, 409, 422),
          },
        },
      },
      "/v1/jobs/{job_id}": {
        get: {
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
          summary: "Numbered events after a cursor",
          parameters: [
            ...params,
            { name: "after", in: "query", schema: { type: "integer", minimum: 0, default: 0 } },
            {
              name: "limit",
              in: "query",
              schema: { type: "integer", minimum: 1, maximum: 1000, default: 200 },
            },
          ],
          responses: { ...ok(200, "LogsResponse", "events"), ...errors(400, 401, 404) },
        },
      },
      "/v1/jobs/{job_id}/ticket": {
        post: {
          summary:
            "A short-lived HMAC ticket for the job's WebSocket (browsers cannot send headers)",
          parameters: params,
          responses: {
            "200": {
              description: "the ticket",
              content: {
                "application/json": {
                  schema: {
                    type: "object",
                    properties: {
                      ticket: { type: "string" },
                      expires_at: { type: "string", format: "date-time" },
                      ws_url: { type: "string" },
                    },
                    required: ["ticket", "expires_at", "ws_url"],
                  },
                },
              },
            },
            ...errors(400, 401, 404),
          },
        },
      },
      "/v1/jobs/{job_id}/ws": {
        get: {
          summary: "WebSocket upgrade: the job's numbered events (`?ticket=`, `?after=`)",
          parameters: [
            { name: "job_id", in: "path", required: true, schema: { type: "string" } },
            { name: "ticket", in: "query", schema: { type: "string" } },
            { name: "after", in: "query", schema: { type: "integer", minimum: 0 } },
          ],
          security: [],
          responses: {
            "101": { description: "switching protocols" },
            ...errors(401, 403, 404, 426),
          },
        },
      },
      "/v1/jobs/{job_id}/cancel": {
        post: {
          summary: "Cancel the job (idempotent)",
          parameters: params,
          responses: {
            "200": {
              description: "the job's status after the cancel",
              content: {
                "application/json": {
                  schema: {
                    type: "object",
                    properties: { job_id: { type: "string" }, status: schema(JobStatus, "output") },
                    required: ["job_id", "status"],
                  },
                },
              },
            },
            ...errors(400, 401, 404),
          },
        },
      },
      "/v1/jobs/{job_id}/extend": {
        post: {
          summary:
            "Extend the job's expiry and pin its layer, within the user's plan (X-User-Plan)",
          parameters: [...params, planHeader],
          requestBody: body("ExtendBody"),
          responses: {
            ...ok(200, "ExtendResponse", "extended"),
            ...errors(400, 401, 403, 404, 422),
          },
        },
      },
      "/v1/blobs/missing": {
        post: {
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
      "/v1/jobs/{job_id}/webhooks": {
        get: {
          summary: "The job's webhook messages and every delivery attempt",
          parameters: params,
          responses: { ...ok(200, "WebhookDeliveries", "deliveries"), ...errors(400, 401, 404) },
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
        AppendResponse: schema(AppendResponse, "output"),
        JobView: schema(JobView, "output"),
        LogsResponse: schema(LogsResponse, "output"),
        ExtendBody: schema(ExtendBody, "input"),
        ExtendResponse: schema(ExtendResponse, "output"),
        WebhookDeliveries: schema(WebhookDeliveries, "output"),
        MissingBlobsBody: schema(MissingBlobsBody, "input"),
        MissingBlobsResponse: schema(MissingBlobsResponse, "output"),
        BlobStored: schema(BlobStored, "output"),
        Error: schema(ErrorBody, "output"),
      },
    },
  };
}
