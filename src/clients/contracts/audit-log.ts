// The audit-log contract: one audit record (who, what, when, result; never SQL, variables or
// rows) and the batch the Worker's queue consumer posts. Imported by the Worker (producer and
// consumer) and by the local service (infra/local-dev/audit-log/), so it stays pure zod.
import { z } from "zod";

export const AuditAction = z.enum([
  // user actions (one per request, also when refused)
  "job.create",
  "job.append",
  "job.run",
  "job.cancel",
  "job.view",
  "job.logs",
  "job.ticket",
  "job.subscribe",
  "request",
  // outcomes (one per job end)
  "job.completed",
  "job.failed",
  "job.canceled",
  "job.timeout",
  "job.expired",
]);
export type AuditAction = z.infer<typeof AuditAction>;

const Short = z.string().max(200);

export const AuditRecord = z.strictObject({
  /** Unique per record: consumers dedupe on it (the queue delivers at least once). */
  id: z.string().min(8).max(64),
  ts: z.string().max(40),
  action: AuditAction,
  /** "ok" (2xx, or a job that completed), "refused" (4xx), "error" (5xx or a failed job). */
  result: z.enum(["ok", "refused", "error"]),
  service: Short,
  request_id: Short.nullable(),
  job_id: Short.nullable(),
  user_id: Short.nullable(),
  /** Route template (`/v1/jobs/:job_id/run`), never the raw path. */
  route: Short.nullable(),
  method: z.string().max(10).nullable(),
  status: z.number().int().nullable(),
  code: Short.nullable(),
  trace_id: z.string().max(32).nullable(),
});
export type AuditRecord = z.infer<typeof AuditRecord>;

export const AuditBatch = z.strictObject({ records: z.array(AuditRecord).max(1000) });
export type AuditBatch = z.infer<typeof AuditBatch>;

export const AuditQuery = z.strictObject({
  job_id: Short.optional(),
  user_id: Short.optional(),
  action: AuditAction.optional(),
  /** The `seq` of the last record already seen (paging). */
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export const AuditPage = z.object({
  records: z.array(AuditRecord.extend({ seq: z.number().int() })),
  next_after: z.number().int(),
});
export type AuditPage = z.infer<typeof AuditPage>;
