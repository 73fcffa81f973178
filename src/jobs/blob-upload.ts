// Blobs (`PUT /v1/blobs/sha256:<hex>`, `POST /v1/blobs/missing`): the content store seen from a
// client that uploads each file once and then names it by etag (the pattern of Bazel's
// FindMissingBlobs and the OCI registry's blob upload). An upload streams the body into R2: the
// isolate never holds more than a chunk of it, hashes it on the way (a DigestStream) and checks
// that it is UTF-8 text, so a blob that could never be planned is refused at once.
import { AppError } from "../errors.ts";
import { DEFAULT_PLANNER_LIMITS } from "../planner/limits.ts";
import { type ContentStore, keyOf } from "./content-store.ts";

export const BLOB_LIMITS = {
  /** Bytes of one blob: the planner's limit on one file (a larger blob could never be planned). */
  maxBlobBytes: DEFAULT_PLANNER_LIMITS.maxFileBytes,
  /** Digests one `missing` call may ask about: the planner's limit on files in a tree. */
  maxDigests: DEFAULT_PLANNER_LIMITS.maxFiles,
  /** Bytes of a `missing` body (10,000 digests of 71 characters, quoted, fit with room). */
  maxMissingBodyBytes: 1024 * 1024,
} as const;

export const DIGEST_PATTERN = /^sha256:[0-9a-f]{64}$/;

function toHex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Passes the body through, counting bytes (exactly `length`, at most `maxBytes`), decoding UTF-8
 * strictly and hashing; at the end the hash must be `hex`. Any failure errors the stream, so R2
 * never stores the object; `failure` keeps the AppError to answer with.
 */
function verifying(hex: string, length: number, maxBytes: number) {
  const state: { failure: AppError | null } = { failure: null };
  const digest = new crypto.DigestStream("SHA-256");
  const hasher = digest.getWriter();
  // ignoreBOM: the bytes are hashed as sent, so a leading BOM is content, not a marker.
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  let seen = 0;
  const fail = (error: AppError): never => {
    state.failure = error;
    throw error;
  };
  const stream = new TransformStream<Uint8Array, Uint8Array>({
    async transform(chunk, controller) {
      seen += chunk.byteLength;
      if (seen > maxBytes) fail(tooLarge(maxBytes));
      if (seen > length) fail(lengthMismatch(length));
      try {
        decoder.decode(chunk, { stream: true });
      } catch {
        fail(notUtf8());
      }
      await hasher.write(chunk);
      controller.enqueue(chunk);
    },
    async flush() {
      if (seen !== length) fail(lengthMismatch(length));
      try {
        decoder.decode();
      } catch {
        fail(notUtf8());
      }
      await hasher.close();
      const actual = toHex(await digest.digest);
      if (actual !== hex) {
        fail(
          new AppError(
            422,
            "etag_mismatch",
            `the body hashes to sha256:${actual}, not sha256:${hex}`,
            { field: "digest" },
          ),
        );
      }
    },
  });
  return { stream, state };
}

function tooLarge(maxBytes: number): AppError {
  return new AppError(413, "file_too_large", `blob is larger than ${maxBytes} bytes`, {
    limit: "max_file_bytes",
    max_bytes: maxBytes,
  });
}

function lengthMismatch(length: number): AppError {
  return new AppError(
    400,
    "length_mismatch",
    `body is not the ${length} bytes Content-Length says`,
  );
}

function notUtf8(): AppError {
  return new AppError(422, "invalid_content", "blob is not valid UTF-8 text");
}

/** The declared body length: required (R2 stores a stream of known length), within the cap. */
export function blobLength(header: string | undefined, maxBytes: number): number {
  if (header === undefined || !/^\d+$/.test(header.trim())) {
    throw new AppError(411, "length_required", "header Content-Length is required");
  }
  const length = Number(header.trim());
  if (length > maxBytes) throw tooLarge(maxBytes);
  return length;
}

/**
 * Stores one blob from a stream of `length` bytes, verified against `hex`. The content is leased
 * before it is written (so a sweep cannot collect it between the write and the lease) and held by
 * the lease's owner only once the bytes proved to hash to `hex`.
 */
export async function uploadBlob(
  store: ContentStore,
  hex: string,
  body: ReadableStream<Uint8Array> | null,
  length: number,
  maxBytes: number = BLOB_LIMITS.maxBlobBytes,
): Promise<void> {
  const lease = store.lease;
  if (lease) await lease.reserve([hex], lease.until);
  const key = keyOf(`sha256:${hex}`);
  const { stream, state } = verifying(hex, length, maxBytes);
  const source = body ?? new Blob([]).stream();
  try {
    // The sha256 option makes R2 check the digest too, on its side of the write.
    await store.bucket.put(
      key,
      source.pipeThrough(stream).pipeThrough(new FixedLengthStream(length)),
      { sha256: hex },
    );
  } catch (err) {
    if (state.failure) throw state.failure;
    throw err;
  }
  if (lease) await lease.take([hex], lease.until);
}

/**
 * The digests (`sha256:<hex>`) among `digests` that the lease's owner cannot name by etag: not
 * stored, or stored but never sent by them (the same answer, so a hash tells nobody what another
 * user uploaded). The others are leased for the lease's term, so they are there for the create.
 */
export async function missingBlobs(store: ContentStore, digests: string[]): Promise<string[]> {
  const unique = [...new Set(digests)];
  const lease = store.lease;
  if (!lease) throw new Error("missingBlobs needs a lease (whose owner is asking)");
  const held = await lease.claim(
    unique.map((d) => d.slice("sha256:".length)),
    lease.until,
  );
  return unique.filter((d) => !held.has(d.slice("sha256:".length)));
}
