// The blobs routes (/v1/blobs...): upload only what is missing. `POST /missing` answers which of a
// list of digests the acting user cannot name by etag yet; `PUT /sha256:<hex>` stores one file's
// bytes (raw body, streamed, verified against the digest, capped like one file). A create then
// sends those files as `{ etag }`. Behind the gateway check; the user is `X-User-Id`.
import { Hono } from "hono";
import type { z } from "zod";
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
import { requireGateway, userFromHeader } from "./auth.ts";
import { readJson } from "./jobs-routes.ts";
import { type BlobStored, MissingBlobsBody, type MissingBlobsResponse } from "./schemas.ts";

export const blobsRoutes = new Hono<{ Bindings: Env }>();

blobsRoutes.use("*", requireGateway());

blobsRoutes.post("/missing", limitBody(BLOB_LIMITS.maxMissingBodyBytes), async (c) => {
  const user = userFromHeader(c.req.header("x-user-id"));
  const body = await readJson(c.req.raw, MissingBlobsBody);
  // What is not missing stays for the grace period: long enough to send the create.
  const missing = await missingBlobs(leasedContent(c.env, Date.now(), user), body.digests);
  return c.json({ missing } satisfies z.infer<typeof MissingBlobsResponse>, 200);
});

blobsRoutes.put("/:digest", async (c) => {
  const user = userFromHeader(c.req.header("x-user-id"));
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
  return c.json({ digest, size_bytes: length } satisfies z.infer<typeof BlobStored>, 201);
});
