// The JobObject's side of a subscription: check the owner and hand a reader of the stored events
// after the client's cursor, with the subscriber, to the LiveHub, which replays them in pages; the
// first read and the accept happen in one synchronous turn (no gap, no duplicate).
import { AppError } from "../errors.ts";
import { type JobStore, ownedJob } from "../jobs/job-store.ts";
import { isTerminal } from "../jobs/state-machine.ts";
import { LIVE_LIMITS } from "../limits/limits.ts";
import type { LiveHub, ReadEvents } from "./hub.ts";

/** Internal headers the worker sets on the upgrade it forwards to the job's Durable Object. */
export const LIVE_USER_HEADER = "x-sql-runner-live-user";
export const LIVE_AFTER_HEADER = "x-sql-runner-live-after";

/** The store's events as the hub reads them: one page at a time. */
function reader(store: JobStore): ReadEvents {
  return (after, limit) => store.events(after, limit);
}

function errorJson(
  status: number,
  code: string,
  message: string,
  details: Record<string, unknown> = {},
): Response {
  return Response.json({ error: { code, message, ...details } }, { status });
}

/**
 * The Durable Object's `fetch`: accepts the WebSocket upgrade the worker forwarded (after checking
 * the ticket), or answers the JSON error shape without upgrading. Another user's job is a 404.
 */
export function acceptSubscriber(store: JobStore, hub: LiveHub, request: Request): Response {
  if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
    return errorJson(426, "upgrade_required", "this endpoint only accepts a WebSocket upgrade");
  }
  const user = request.headers.get(LIVE_USER_HEADER);
  const after = Number(request.headers.get(LIVE_AFTER_HEADER) ?? "0");
  const job = user ? store.job() : null;
  if (!user || !job || job.user_id !== user) {
    return errorJson(404, "not_found", "job not found");
  }
  if (hub.socketsFull()) {
    return errorJson(
      429,
      "too_many_subscribers",
      `this job has ${LIVE_LIMITS.maxSockets} WebSocket subscribers, the most it takes at once; close one or follow GET /v1/jobs/{id}/logs`,
      { limit_name: "live_sockets_per_job", limit: LIVE_LIMITS.maxSockets },
    );
  }
  const cursor = Number.isSafeInteger(after) && after > 0 ? after : 0;
  return hub.acceptWebSocket(
    { job: job.job_id, user },
    reader(store),
    cursor,
    isTerminal(job.status),
  );
}

/**
 * Opens the SSE stream of a job for `user`, or returns null when the job has finished and nothing
 * is left after `after` (the worker then answers 204, which tells EventSource not to reconnect).
 */
export function openStream(
  store: JobStore,
  hub: LiveHub,
  user: string,
  after: number,
): ReadableStream<Uint8Array> | null {
  const job = ownedJob(store, user);
  if (isTerminal(job.status) && store.events(after, 1).length === 0) return null;
  if (hub.streamsFull()) {
    throw new AppError(
      429,
      "too_many_subscribers",
      `this job has ${LIVE_LIMITS.maxStreams} open event streams, the most it takes at once; close one or page GET /v1/jobs/{id}/logs?after=`,
      { limit_name: "live_streams_per_job", limit: LIVE_LIMITS.maxStreams },
    );
  }
  return hub.openEventStream(reader(store), after);
}
