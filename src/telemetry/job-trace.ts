// A job's place in a trace. The gateway's `traceparent` (stored in telemetry_context) makes the job
// part of the gateway's trace; without one, the job starts its own trace whose id is the job id
// (both are 32 hex characters), so an operator can always find a job's spans by its id. The job's
// root span id is derived from the job id too, so every alarm and every object computes the same
// parent for its stage spans without storing anything.
import { parseTraceparent, type SpanContext } from "../clients/contracts/trace-context.ts";

export interface TracedJob {
  job_id: string;
  telemetry: Record<string, string>;
}

/** The gateway's span the job hangs under, or null when the job has its own trace. */
export function gatewaySpan(job: TracedJob): SpanContext | null {
  return parseTraceparent(job.telemetry.traceparent);
}

/** The job's root span: parent of its stage spans. */
export function jobSpan(job: TracedJob): SpanContext {
  const upstream = gatewaySpan(job);
  const spanId = /^[0-9a-f]{32}$/.test(job.job_id) ? job.job_id.slice(16) : "0000000000000001";
  return {
    traceId:
      upstream?.traceId ?? (/^[0-9a-f]{32}$/.test(job.job_id) ? job.job_id : spanId.repeat(2)),
    spanId,
    sampled: upstream?.sampled ?? true,
  };
}

export function jobTraceId(job: TracedJob): string {
  return jobSpan(job).traceId;
}
