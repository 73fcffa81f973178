// The blobs routes (/v1/blobs...): upload only what is missing. `POST /missing` answers which of a
// list of digests the acting user cannot name by etag yet; `PUT /sha256:<hex>` stores one file's
// bytes (raw body, streamed, verified against the digest, capped like one file). A create then
// sends those files as `{ etag }`. Behind the gateway check; the user is `X-User-Id`.
import { createRoute, z } from "@hono/zod-openapi";
import { AppError } from "../errors.ts";
import {
  BLOB_LIMITS,
  blobLength,
  DIGEST_PATTERN,
  missingBlobs,
  uploadBlob,
} from "../jobs/blob-upload.ts";
import { leasedContent } from "../lifecycle/content-lease.ts";
import { limitBody } from "../limits/body.ts";
import { actingUser, requireGateway } from "./auth.ts";
import { apiRoutes, errors, json, openApiRoute } from "./openapi-route.ts";
import {
  BlobStored,
  DigestParams,
  MissingBlobsBody,
  MissingBlobsResponse,
  userHeader,
} from "./schemas.ts";

export const blobsRoutes = apiRoutes<{ Bindings: Env; Variables: { user: string } }>();

blobsRoutes.use("*", requireGateway());

openApiRoute(
  blobsRoutes,
  createRoute({
    method: "post",
    path: "/missing",
    operationId: "missingBlobs",
    summary:
      "Which of these digests the user must upload before naming them by etag (their own uploads and inline files only)",
    middleware: [limitBody(BLOB_LIMITS.maxMissingBodyBytes), actingUser],
    parameters: [userHeader],
    request: {
      body: { required: true, content: { "application/json": { schema: MissingBlobsBody } } },
    },
    responses: {
      200: json(MissingBlobsResponse, "the digests to upload"),
      ...errors(400, 401, 413),
    },
  }),
  async (c) => {
    const user = c.var.user;
    const body = c.req.valid("json");
    // What is not missing stays for the grace period: long enough to send the create.
    const missing = await missingBlobs(leasedContent(c.env, Date.now(), user), body.digests);
    return c.json({ missing }, 200);
  },
);

openApiRoute(
  blobsRoutes,
  createRoute({
    method: "put",
    path: "/{digest}",
    operationId: "uploadBlob",
    summary:
      "Upload one file's bytes (raw body, Content-Length required, verified against the digest)",
    middleware: [actingUser],
    parameters: [userHeader],
    request: {
      params: DigestParams,
      body: {
        required: true,
        content: { "application/octet-stream": { schema: z.string().meta({ format: "binary" }) } },
      },
    },
    responses: {
      201: json(BlobStored, "stored (the same answer whether it was stored before)"),
      ...errors(400, 401, 411, 413, 422),
    },
  }),
  async (c) => {
    const user = c.var.user;
    const digest = c.req.param("digest");
    if (!DIGEST_PATTERN.test(digest)) {
      throw new AppError(
        400,
        "validation_failed",
        "path: digest: must be sha256:<64 lowercase hex>",
        {
          field: "digest",
        },
      );
    }
    const length = blobLength(c.req.header("content-length"), BLOB_LIMITS.maxBlobBytes);
    const hex = digest.slice("sha256:".length);
    await uploadBlob(leasedContent(c.env, Date.now(), user), hex, c.req.raw.body, length);
    // The same answer whether the content was stored before or not (nothing to learn from it).
    return c.json({ digest, size_bytes: length }, 201);
  },
);
