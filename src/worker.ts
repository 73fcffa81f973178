// The sql-runner Worker: a thin Hono app (src/api/app.ts) that routes to the per-job Durable
// Object, plus the cron sweep and the audit queue consumer.
import { app } from "./api/app.ts";
import { runSweep } from "./lifecycle/sweep-job.ts";
import { deliverAudit } from "./telemetry/audit-consumer.ts";
import { configureTelemetry, flushTelemetry } from "./telemetry/telemetry.ts";

export default {
  fetch: app.fetch,
  /** Cron Trigger: the global sweep (content, layers, orphaned instances; docs/lifecycle.md). */
  async scheduled(_controller, env, ctx) {
    configureTelemetry(env);
    ctx.waitUntil(runSweep(env).finally(flushTelemetry));
  },
  /** The AUDIT queue: delivers audit records to the audit-log service (retries, then the DLQ). */
  async queue(batch, env, ctx) {
    configureTelemetry(env);
    await deliverAudit(batch, env);
    ctx.waitUntil(flushTelemetry());
  },
} satisfies ExportedHandler<Env>;

export { AdmissionObject } from "./objects/admission-object.ts";
export { FileIndexObject } from "./objects/file-index-object.ts";
export { JobObject } from "./objects/job-object.ts";
export { TailObject } from "./objects/tail-object.ts";
export { TenantObject } from "./objects/tenant-object.ts";
