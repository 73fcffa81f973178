// Request bodies are read with a byte limit as they arrive: a chunked body of any length is cut
// off at `maxBodyBytes` bytes (UTF-8 as sent, not UTF-16 units after decoding), and a declared
// Content-Length over it is refused before a byte is read. hono's body-limit does the counting.
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { AppError } from "../errors.ts";
import { BODY_LIMITS } from "./limits.ts";

/** 413 `payload_too_large` for a body over `maxBytes` (default: BODY_LIMITS.maxBodyBytes). */
export function limitBody(maxBytes: number = BODY_LIMITS.maxBodyBytes): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new AppError(413, "payload_too_large", `body is larger than ${maxBytes} bytes`, {
        limit: "max_body_bytes",
        max_bytes: maxBytes,
      });
    },
  });
}
