// The caps that keep one job bounded (Workers: 128 MB per isolate, 32 MiB per RPC). One place, so
// docs/limits.md has one source to mirror and a test can cross each cap by its name. Limits that
// may differ per plan live in plans.ts; these are the same for everyone.

/** Live replay (SSE and WebSocket) reads the stored events in pages, never the whole backlog. */
export const LIVE_LIMITS = {
  /** Events per page an SSE stream reads from storage before waiting for the consumer. */
  ssePageEvents: 200,
  /**
   * Events a WebSocket sends on connect before it closes with 4000 and the next cursor in the
   * reason (hibernatable sockets have no send backpressure; the client reconnects with ?after=).
   */
  wsReplayEvents: 500,
  /**
   * Hibernatable WebSocket subscribers of one job at once; past it an upgrade answers 429
   * `too_many_subscribers`. Each connect may send a replay page (up to 500 events of 8 KiB).
   */
  maxSockets: 100,
  /**
   * SSE streams of one job at once (each keeps the object awake and holds up to one page, 200
   * events of at most 8 KiB, while its consumer is slow: 10 streams stay within ~32 MB).
   */
  maxStreams: 10,
} as const;

/** Stored events per job: the log is capped, the rest (status, stages, steps) is bounded by them. */
export const EVENT_LIMITS = {
  /** Log events (echo lines, NOTICEs, ...) stored per job; later ones are counted, not stored. */
  maxLogEvents: 5000,
  /** Characters of one log message kept; the rest is cut and the event says `truncated: true`. */
  maxMessageChars: 8 * 1024,
} as const;

/** Request bodies (create and append). */
export const BODY_LIMITS = {
  /** Bytes of one request body as sent, counted while it arrives. */
  maxBodyBytes: 64 * 1024 * 1024,
  /**
   * Characters of inline file content one create/append may carry over the Worker -> Durable
   * Object RPC (whose limit is 32 MiB; a character may take 2 bytes there). Past it, the largest
   * files are stored in the content store first and cross as `{ etag }` (src/limits/offload.ts).
   */
  maxRpcContentChars: 12 * 1024 * 1024,
  /**
   * Files stored apart per create or append, largest first. Each is one content-store write in
   * the request; a body that still would not fit is refused with 413 before any is written.
   */
  maxOffloadFiles: 500,
} as const;

/**
 * Results (docs/limits.md "Results"). The rows are stored in the job's SQLite, one row per result
 * row (split in chunks past 256 Ki characters); the job view carries only the first rows of each
 * set, and `GET /v1/jobs/{id}/result` reads the rest in pages, so no RPC carries a whole result.
 */
export const RESULT_LIMITS = {
  /** UTF-8 bytes of row values per job, all heads and sets together (`RESULT_MAX_BYTES` var). */
  maxJobBytes: 64 * 1024 * 1024,
  /**
   * Result sets kept per job, all heads together, and the UTF-8 bytes of their metadata (command,
   * tag, file, column names and types), which the view carries whole: past either, later sets
   * still run but are dropped and counted (`dropped_sets`).
   */
  maxSets: 1000,
  maxSetMetaBytes: 2 * 1024 * 1024,
  /** Error entries (`errors`) kept per job, all heads together; later ones are counted. */
  maxErrors: 1000,
  /** UTF-8 bytes of row values the job view carries, all sets together. */
  viewBytes: 1024 * 1024,
  /** Rows the job view carries, all sets together. */
  viewRows: 10_000,
  /** Rows one result page may ask for (`limit`), and the default. */
  pageMaxRows: 1000,
  pageDefaultRows: 1000,
  /** UTF-8 bytes of values per page: a page stops before the row that would pass it (but always
   * carries one row, at most a set's 8 MiB). */
  pageMaxBytes: 4 * 1024 * 1024,
} as const;

/** The job's total result cap: the `RESULT_MAX_BYTES` var (bytes), else the default. */
export function resultMaxBytes(value: string | undefined): number {
  const n = Number(value);
  return value !== undefined && value.trim() !== "" && Number.isSafeInteger(n) && n > 0
    ? n
    : RESULT_LIMITS.maxJobBytes;
}
