// The lifecycle side of a JobObject: what happens at a terminal status (queue the webhook), in the
// alarm (send the due webhook, keep the job alive while one is pending), on extension (plan
// limits, layer pins, content leases), and what the job holds (for the orphan sweep). Plain
// functions over the job's storage; the object calls them from its entry points.
import type { SnapshotCacheClient } from "../clients/snapshot-cache.ts";
import type { ExtendBody } from "../jobs/job-input.ts";
import { type JobStore, ownedJob } from "../jobs/job-store.ts";
import { jobLinks, jobMetrics } from "../jobs/job-view.ts";
import type { ExtendResponse, JobStatus, WebhookDeliveries } from "../jobs/model.ts";
import { isTerminal } from "../jobs/state-machine.ts";
import { contentLease } from "./content-lease.ts";
import { JobLifecycle } from "./job-lifecycle.ts";
import { checkPlanLimit, type PlanLimits } from "./plans.ts";
import { dispatchDue, enqueueTerminal, nextWebhookAt } from "./webhooks/dispatch.ts";
import { Outbox } from "./webhooks/outbox.ts";
import { parseSecrets } from "./webhooks/signing.ts";

/** A pending webhook keeps its job at least this long past the next attempt. */
const WEBHOOK_MARGIN_MS = 60_000;

type LifecycleEnv = Pick<
  Env,
  "FILES" | "FILE_INDEX" | "FILES_GRACE_SECONDS" | "WEBHOOK_SECRETS" | "WEBHOOK_RETRY_BASE_MS"
>;

/** Called right after a terminal status was stored: queues the job's webhook message, if any. */
export function queueTerminalWebhook(store: JobStore, now = Date.now()): void {
  const job = store.job();
  if (!job || !isTerminal(job.status)) return;
  const { webhook } = new JobLifecycle(store.sql).get();
  if (!webhook) return;
  const status = job.status as Extract<JobStatus, "completed" | "failed" | "canceled">;
  const outbox = new Outbox(store.sql);
  enqueueTerminal(
    outbox,
    webhook,
    status,
    {
      job_id: job.job_id,
      request_id: job.request_id,
      status,
      ...(job.error ? { error: job.error } : {}),
      snapshot: job.snapshot,
      metrics: jobMetrics(job, store.stages()),
      links: jobLinks(job.job_id),
    },
    now,
  );
  keepAliveFor(store, nextWebhookAt(outbox));
}

function keepAliveFor(store: JobStore, nextAttempt: number | null): void {
  const job = store.job();
  if (!job || nextAttempt === null) return;
  if (nextAttempt + WEBHOOK_MARGIN_MS > job.expires_at) {
    store.update({ expires_at: nextAttempt + WEBHOOK_MARGIN_MS });
  }
}

/** When the lifecycle needs the alarm next (a webhook attempt), or null. */
export function nextLifecycleAlarm(store: JobStore): number | null {
  return nextWebhookAt(new Outbox(store.sql));
}

/** The alarm's lifecycle part: sends the due webhook attempt (one at a time). */
export async function runLifecycleAlarm(env: LifecycleEnv, store: JobStore): Promise<void> {
  const outbox = new Outbox(store.sql);
  const due = nextWebhookAt(outbox);
  if (due === null || due > Date.now()) return;
  const base = Number(env.WEBHOOK_RETRY_BASE_MS);
  await dispatchDue(outbox, {
    secrets: parseSecrets(env.WEBHOOK_SECRETS),
    ...(base > 0 ? { retryBaseMs: base } : {}),
  });
  keepAliveFor(store, nextWebhookAt(outbox));
}

/** `GET /v1/jobs/{id}/webhooks`. */
export function webhookDeliveries(store: JobStore, user: string): WebhookDeliveries {
  const job = ownedJob(store, user);
  const outbox = new Outbox(store.sql);
  return {
    job_id: job.job_id,
    messages: outbox.messages().map((m) => ({
      ...m,
      event_type: m.event_type as WebhookDeliveries["messages"][number]["event_type"],
      next_attempt_at:
        m.next_attempt_at === null ? null : new Date(m.next_attempt_at).toISOString(),
    })),
    attempts: outbox.attempts().map((a) => ({
      ...a,
      event_type: a.event_type as WebhookDeliveries["attempts"][number]["event_type"],
    })),
  };
}

export interface ExtendInput {
  user: string;
  body: ExtendBody;
  plan: { name: string; limits: PlanLimits };
}

/**
 * `POST /v1/jobs/{id}/extend`: moves `expires_at` (never back), pins the job's layer and renews the
 * leases on its files, each within the plan. Storage is written last, after the pin succeeded.
 */
export async function extendJob(
  env: LifecycleEnv,
  store: JobStore,
  cache: SnapshotCacheClient,
  input: ExtendInput,
  now = Date.now(),
): Promise<ExtendResponse> {
  const job = ownedJob(store, input.user);
  const { name, limits } = input.plan;
  const { job_ttl, snapshot_ttl } = input.body;
  if (job_ttl !== undefined)
    checkPlanLimit(name, "job_ttl", job_ttl, "max_extension", limits.max_extension);
  if (snapshot_ttl !== undefined) {
    checkPlanLimit(name, "snapshot_ttl", snapshot_ttl, "max_snapshot_ttl", limits.max_snapshot_ttl);
  }
  const expiresAt = Math.max(job.expires_at, job_ttl !== undefined ? now + job_ttl * 1000 : 0);
  const pinUntil = Math.max(expiresAt, snapshot_ttl !== undefined ? now + snapshot_ttl * 1000 : 0);
  const lifecycle = new JobLifecycle(store.sql);
  const tailHash = job.snapshot?.tail_hash;
  if (tailHash && job.snapshot?.layer_id) {
    await cache.pin({ tail_hashes: [tailHash], until: new Date(pinUntil).toISOString() });
  }
  const lease = contentLease(env, expiresAt, job.user_id);
  await lease.take(store.fileDigests(), lease.until);
  store.update({ expires_at: expiresAt });
  lifecycle.setPlan(name);
  lifecycle.pinLayers(pinUntil);
  return {
    job_id: job.job_id,
    plan: name,
    expires_at: new Date(expiresAt).toISOString(),
    layers_pinned_until: new Date(pinUntil).toISOString(),
  };
}

/**
 * After a run ended: a job extended while it ran pins the layer it now has. Best effort: the
 * layer's own ttl still holds it if snapshot-cache is unreachable.
 */
export async function pinAfterRun(store: JobStore, cache: SnapshotCacheClient): Promise<void> {
  const job = store.job();
  const { layers_pinned_until } = new JobLifecycle(store.sql).get();
  if (!job?.snapshot?.layer_id || !layers_pinned_until || layers_pinned_until <= Date.now()) return;
  await cache
    .pin({
      tail_hashes: [job.snapshot.tail_hash],
      until: new Date(layers_pinned_until).toISOString(),
    })
    .catch(() => {});
}

/** Whether this job still holds instance `instanceId` (for the orphan sweep). */
export function holdsInstance(store: JobStore, instanceId: string): boolean {
  const job = store.job();
  return job !== null && !isTerminal(job.status) && job.instance_id === instanceId;
}
