// The Worker's `queue()` consumer for the AUDIT queue: delivers each batch to the audit-log service
// (`POST {AUDIT_LOG_URL}/v1/audit`, bearer PLATFORM_TOKEN) and acknowledges it only when the
// service took it. Anything else retries the batch with a growing delay; after the queue's
// max_retries the messages go to the dead-letter queue (wrangler.toml). Records are delivered at
// least once: the service dedupes by record id.
import { AuditRecord } from "../clients/contracts/audit-log.ts";
import { logLine } from "./log.ts";

const DELIVERY_TIMEOUT_MS = 5000;

export interface AuditConsumerEnv {
  AUDIT_LOG_URL: string;
  PLATFORM_TOKEN?: string;
}

export async function deliverAudit(
  batch: MessageBatch<unknown>,
  env: AuditConsumerEnv,
): Promise<void> {
  const records: AuditRecord[] = [];
  for (const message of batch.messages) {
    const parsed = AuditRecord.safeParse(message.body);
    if (parsed.success) records.push(parsed.data);
    else {
      // Not a record we wrote: retrying cannot fix it.
      logLine("warn", "audit_message_invalid", { message_id: message.id });
      message.ack();
    }
  }
  if (records.length === 0) return;
  const attempts = Math.max(...batch.messages.map((m) => m.attempts));
  try {
    const res = await fetch(new URL("/v1/audit", env.AUDIT_LOG_URL), {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${env.PLATFORM_TOKEN ?? ""}`,
      },
      body: JSON.stringify({ records }),
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
    });
    await res.body?.cancel();
    if (!res.ok) throw new Error(`audit-log answered ${res.status}`);
    batch.ackAll();
  } catch (err) {
    const delaySeconds = Math.min(60, 2 ** Math.max(0, attempts - 1));
    logLine("warn", "audit_delivery_failed", {
      queue: batch.queue,
      records: records.length,
      attempts,
      retry_in_s: delaySeconds,
      reason: err instanceof Error ? err.message.slice(0, 200) : "unknown",
    });
    batch.retryAll({ delaySeconds });
  }
}
