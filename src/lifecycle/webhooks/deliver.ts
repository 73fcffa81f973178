// One delivery attempt of a webhook message: a signed POST with a 10 s timeout that follows no
// redirect (a 3xx is an answer, not a place to go: following it would let a public URL point the
// request at a private one).
import { retryAfterMs, WEBHOOK_RETRY } from "./retry.ts";
import { signatureHeader } from "./signing.ts";

export interface WebhookMessage {
  /** The same on every attempt, so receivers can dedupe. */
  id: string;
  url: string;
  body: string;
}

export interface AttemptResult {
  at: number;
  /** HTTP status, or null for a timeout or network error. */
  status: number | null;
  ms: number;
  error: string | null;
  retryAfterMs: number | null;
}

export async function attemptDelivery(
  message: WebhookMessage,
  secrets: readonly Uint8Array[],
  now = Date.now(),
): Promise<AttemptResult> {
  const timestamp = Math.floor(now / 1000);
  const t0 = performance.now();
  try {
    const res = await fetch(message.url, {
      method: "POST",
      redirect: "manual",
      signal: AbortSignal.timeout(WEBHOOK_RETRY.timeoutMs),
      headers: {
        "content-type": "application/json",
        "user-agent": "sql-runner-webhooks/1",
        "webhook-id": message.id,
        "webhook-timestamp": String(timestamp),
        "webhook-signature": await signatureHeader(secrets, message.id, timestamp, message.body),
      },
      body: message.body,
    });
    // The answer's body is not needed; cancel it so the connection is freed.
    await res.body?.cancel();
    return {
      at: now,
      status: res.status,
      ms: Math.round(performance.now() - t0),
      error: null,
      retryAfterMs: retryAfterMs(res.headers.get("retry-after"), Date.now()),
    };
  } catch (err) {
    const timedOut = err instanceof DOMException && err.name === "TimeoutError";
    return {
      at: now,
      status: null,
      ms: Math.round(performance.now() - t0),
      error: timedOut ? `no answer within ${WEBHOOK_RETRY.timeoutMs} ms` : "network error",
      retryAfterMs: null,
    };
  }
}
