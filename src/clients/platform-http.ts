// The transport both platform clients share: one authenticated JSON request with a timeout, the
// body read once, and the service's stable error code picked out. Each client maps the status to
// its own typed errors; nothing here ever puts the service URL into a message.
import { z } from "zod";
import type { AppError } from "../errors.ts";
import { currentTraceparent } from "../telemetry/telemetry.ts";

export type PlatformClientOptions = {
  baseUrl: string;
  token: string;
  timeoutMs: number;
  fetch: typeof fetch;
};

export interface PlatformAnswer {
  res: Response;
  json: unknown;
  /** The service's `error.code`, or "unknown" when the body has none. */
  code: string;
  /** The service's `error.message`, when there is one. */
  message: string | null;
}

const ErrorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

/** Sends the request; a network failure or timeout throws `unavailable(why)`. */
export async function platformRequest(
  opts: PlatformClientOptions,
  unavailable: (why: string) => AppError,
  method: string,
  path: string,
  body?: unknown,
): Promise<PlatformAnswer> {
  // Called unbound: workerd's fetch throws "Illegal invocation" when `this` is another object.
  const doFetch = opts.fetch;
  let res: Response;
  const traceparent = currentTraceparent();
  try {
    res = await doFetch(new URL(path, opts.baseUrl), {
      method,
      headers: {
        authorization: `Bearer ${opts.token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...(traceparent ? { traceparent } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
  } catch (err) {
    const timedOut = err instanceof Error && err.name === "TimeoutError";
    throw unavailable(timedOut ? `no answer within ${opts.timeoutMs} ms` : "connection failed");
  }
  let json: unknown;
  try {
    json = await res.json();
  } catch {
    json = undefined;
  }
  const err = ErrorBody.safeParse(json);
  return {
    res,
    json,
    code: err.success ? err.data.error.code : "unknown",
    message: err.success ? err.data.error.message : null,
  };
}
