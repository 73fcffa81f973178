// When to try a webhook delivery again: exponential back-off with full jitter on timeouts,
// network errors, 408, 429 and 5xx, honouring `Retry-After`, for at most 24 hours from the first
// attempt. Any 2xx ends the delivery as delivered; any other status ends it as failed.

export const WEBHOOK_RETRY = {
  firstDelayMs: 5_000,
  maxDelayMs: 3_600_000,
  windowMs: 24 * 3_600_000,
  timeoutMs: 10_000,
} as const;

export type AttemptVerdict = "delivered" | "retry" | "failed";

/** What an attempt's answer means (`status` null: timeout or network error). */
export function verdictOf(status: number | null): AttemptVerdict {
  if (status === null) return "retry";
  if (status >= 200 && status < 300) return "delivered";
  if (status === 408 || status === 429 || status >= 500) return "retry";
  return "failed";
}

/** Milliseconds a `Retry-After` header asks for (seconds or an HTTP date), or null. */
export function retryAfterMs(header: string | null, now: number): number | null {
  if (!header) return null;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

export interface RetryInput {
  /** The attempt that just failed (1-based). */
  attempt: number;
  firstAttemptAt: number;
  now: number;
  /** What the receiver's `Retry-After` asked for, if anything. */
  retryAfterMs: number | null;
  /** The first back-off (the `WEBHOOK_RETRY_BASE_MS` var; tests lower it). */
  baseMs?: number;
  random?: () => number;
}

/** When the next attempt is due, or null once the 24 h window is over. */
export function nextAttemptAt(input: RetryInput): number | null {
  const base = input.baseMs ?? WEBHOOK_RETRY.firstDelayMs;
  const random = input.random ?? Math.random;
  const ceiling = Math.min(WEBHOOK_RETRY.maxDelayMs, base * 2 ** (input.attempt - 1));
  // Jitter in [ceiling/2, ceiling): delays still grow from one attempt to the next.
  const backoff = ceiling / 2 + random() * (ceiling / 2);
  const delay = Math.min(Math.max(backoff, input.retryAfterMs ?? 0), WEBHOOK_RETRY.windowMs);
  const at = Math.round(input.now + delay);
  return at - input.firstAttemptAt > WEBHOOK_RETRY.windowMs ? null : at;
}
