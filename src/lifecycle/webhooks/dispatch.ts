// The webhook part of a job's alarm: queue a message when the job reaches a terminal status its
// webhook subscribed to, and send the one that is due. The alarm is multiplexed: the job object
// asks `nextWebhookAt` for this part's next wake-up and takes the earliest of all parts.
import type { WebhookEvent } from "../../jobs/job-input.ts";
import { attemptDelivery } from "./deliver.ts";
import type { Outbox } from "./outbox.ts";
import { nextAttemptAt, verdictOf } from "./retry.ts";

export interface WebhookSubscription {
  url: string;
  events: WebhookEvent[];
}

/** What a webhook message says of a job: never rows, a link to the job view instead. */
export interface WebhookJobData {
  job_id: string;
  request_id: string;
  status: string;
  error?: unknown;
  snapshot: unknown;
  metrics: unknown;
  links: Record<string, string>;
}

/** Queues the message for a terminal status, if the subscription wants it; returns its id. */
export function enqueueTerminal(
  outbox: Outbox,
  subscription: WebhookSubscription,
  status: "completed" | "failed" | "canceled",
  data: WebhookJobData,
  now: number,
): string | null {
  const type: WebhookEvent = `job.${status}`;
  if (!subscription.events.includes(type)) return null;
  const id = `msg_${data.job_id}_${status}`;
  const { error, ...rest } = data;
  const body = JSON.stringify({
    type,
    timestamp: new Date(now).toISOString(),
    data: error ? { ...rest, error } : rest,
  });
  outbox.enqueue(id, type, subscription.url, body, now);
  return id;
}

export interface DispatchOptions {
  secrets: readonly Uint8Array[];
  retryBaseMs?: number;
  now?: () => number;
}

/** Sends the due message, if one is due, and stores the attempt. One at a time per job. */
export async function dispatchDue(outbox: Outbox, opts: DispatchOptions): Promise<void> {
  const now = opts.now ?? Date.now;
  const message = outbox.nextDue();
  if (!message || (message.next_attempt_at ?? 0) > now()) return;
  if (opts.secrets.length === 0) {
    // Without a signing secret a receiver could not trust the message: fail it visibly.
    outbox.record(
      message,
      {
        at: now(),
        status: null,
        ms: 0,
        error: "no webhook secret is configured",
        retryAfterMs: null,
      },
      "failed",
    );
    return;
  }
  const attempt = await attemptDelivery(
    { id: message.webhook_id, url: message.url, body: message.body },
    opts.secrets,
    now(),
  );
  const verdict = verdictOf(attempt.status);
  if (verdict !== "retry") {
    outbox.record(message, attempt, verdict);
    return;
  }
  const next = nextAttemptAt({
    attempt: message.attempts + 1,
    firstAttemptAt: message.first_attempt_at ?? attempt.at,
    now: now(),
    retryAfterMs: attempt.retryAfterMs,
    ...(opts.retryBaseMs ? { baseMs: opts.retryBaseMs } : {}),
  });
  outbox.record(message, attempt, next ?? "failed");
}

/** When this part needs the alarm next (epoch ms), or null. */
export function nextWebhookAt(outbox: Outbox): number | null {
  return outbox.nextDue()?.next_attempt_at ?? null;
}
