// `GET /v1/jobs/{id}/webhooks` lists at most 500 attempts, oldest first. A receiver that keeps
// answering 429 with a short Retry-After can make a message retry that often within the 24 h
// window; the test writes 501 attempts into a real job object's outbox (waiting out real retries
// would take hours) and reads them back through the API.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { WebhookDeliveries } from "../../src/jobs/model.ts";
import { Outbox } from "../../src/lifecycle/webhooks/outbox.ts";
import type { JobObject } from "../../src/objects/job-object.ts";
import { jobStub } from "../admission/helpers.ts";
import { call, createJob, shortJob } from "../api/helpers.ts";

const LISTED = 500;

describe("webhook attempts listed", () => {
  it(`lists the oldest ${LISTED} of ${LISTED + 1} attempts`, async () => {
    const body = shortJob();
    const user = body.user_id as string;
    const jobId = await createJob(body);
    const t0 = Date.parse("2026-12-01T00:00:00Z");
    await runInDurableObject(jobStub(jobId), (_obj: JobObject, state) => {
      const outbox = new Outbox(state.storage.sql);
      outbox.enqueue("msg_hostile", "job.completed", "https://hooks.example/x", "{}", t0);
      const message = outbox.nextDue();
      if (!message) throw new Error("the message was not queued");
      for (let i = 0; i <= LISTED; i++) {
        const attempt = { at: t0 + i * 1000, status: 429, ms: i, error: null, retryAfterMs: 1000 };
        outbox.record(message, attempt, t0 + (i + 1) * 1000);
      }
    });

    const res = await call(`/v1/jobs/${jobId}/webhooks`, { user });
    expect(res.status).toBe(200);
    const { attempts, messages } = await res.json<WebhookDeliveries>();
    expect(messages.find((m) => m.webhook_id === "msg_hostile")?.attempts).toBe(LISTED + 1);
    expect(attempts).toHaveLength(LISTED);
    expect(attempts[0]).toMatchObject({ duration_ms: 0, at: new Date(t0).toISOString() });
    expect(attempts.at(-1)?.duration_ms).toBe(LISTED - 1);
  });
});
