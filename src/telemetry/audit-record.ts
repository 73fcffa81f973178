// Building audit records: the caller says what happened; the id, time and trace id are added here.
import type { AuditAction, AuditRecord } from "../clients/contracts/audit-log.ts";

export type { AuditRecord } from "../clients/contracts/audit-log.ts";

export interface AuditInput {
  action: AuditAction;
  result: AuditRecord["result"];
  request_id?: string | null;
  job_id?: string | null;
  user_id?: string | null;
  route?: string | null;
  method?: string | null;
  status?: number | null;
  code?: string | null;
  /** Overrides the current span's trace id (e.g. a job outcome recorded outside any span). */
  trace_id?: string | null;
  service?: string;
}

const cut = (v: string | null | undefined, n = 200): string | null =>
  v === undefined || v === null ? null : v.slice(0, n);

export function toAuditRecord(input: AuditInput, traceId: string | null): AuditRecord {
  return {
    id: crypto.randomUUID(),
    ts: new Date().toISOString(),
    action: input.action,
    result: input.result,
    service: input.service ?? "sql-runner",
    request_id: cut(input.request_id),
    job_id: cut(input.job_id),
    user_id: cut(input.user_id),
    route: cut(input.route),
    method: cut(input.method, 10),
    status: input.status ?? null,
    code: cut(input.code),
    trace_id: cut(input.trace_id ?? traceId, 32),
  };
}
