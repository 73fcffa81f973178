// Helpers for the lifecycle tests: the local webhook receiver's records and a job's deliveries.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { inject } from "vitest";
import type { WebhookDeliveries } from "../../src/jobs/model.ts";
import type { JobObject } from "../../src/objects/job-object.ts";
import { call } from "../api/helpers.ts";
import type { ReceivedMessage } from "../support/webhook-receiver.ts";

export const receiverUrl = () => inject("webhookReceiverUrl");

export async function received(key: string): Promise<ReceivedMessage[]> {
  const res = await fetch(`${receiverUrl()}/received?key=${encodeURIComponent(key)}`);
  return res.json<ReceivedMessage[]>();
}

export async function deliveries(jobId: string, user: string): Promise<WebhookDeliveries> {
  const res = await call(`/v1/jobs/${jobId}/webhooks`, { user });
  if (res.status !== 200) throw new Error(`webhooks: ${res.status} ${await res.text()}`);
  return res.json<WebhookDeliveries>();
}

/** Polls until `ok` holds (the test's timeout bounds the wait). */
export async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function jobStub(jobId: string): DurableObjectStub<JobObject> {
  return env.JOBS.get(env.JOBS.idFromName(jobId));
}

/** Resets the job's object the way a crash or an eviction does (its alarm stays armed). */
export async function resetObject(jobId: string): Promise<void> {
  await runInDurableObject(jobStub(jobId), (_obj, state) => {
    state.abort("test: reset between webhook attempts");
  }).catch(() => {});
}
