// Webhooks end to end: a real local receiver (test/support/webhook-receiver.ts) verifies every
// message with the `standardwebhooks` package; the job object's alarm delivers and retries.
import { describe, expect, it } from "vitest";
import { call, errorOf, shortJob, uid } from "../api/helpers.ts";
import { waitDone } from "../jobs/helpers.ts";
import { deliveries, received, receiverUrl, resetObject, until } from "./helpers.ts";

async function jobWithHook(behaviour: string, extra: Record<string, unknown> = {}) {
  const key = uid("hook");
  const body = shortJob({ webhook: { url: `${receiverUrl()}/${behaviour}/${key}` }, ...extra });
  const res = await call("/v1/jobs", { body });
  expect(res.status).toBe(202);
  const { job_id } = await res.json<{ job_id: string }>();
  return { key, jobId: job_id, user: body.user_id as string };
}

describe("webhooks", () => {
  it("deliver one signed message per terminal event, without rows", async () => {
    const { key, jobId, user } = await jobWithHook("ok");
    const view = await waitDone(jobId, user);
    expect(view.status).toBe("completed");
    expect(view.webhook?.events).toEqual(["job.completed", "job.failed", "job.canceled"]);
    const [message, ...more] = await until(
      () => received(key),
      (m) => m.length > 0,
    );
    expect(more).toEqual([]);
    expect(message?.verified).toBe(true);
    expect(message?.webhook_id).toBe(`msg_${jobId}_completed`);
    expect(message?.body).toMatchObject({
      type: "job.completed",
      data: { job_id: jobId, status: "completed", links: { self: `/v1/jobs/${jobId}` } },
    });
    expect(JSON.stringify(message?.body)).not.toContain('"rows"');
    const log = await until(
      () => deliveries(jobId, user),
      (d) => d.messages[0]?.state === "delivered",
    );
    expect(log.attempts).toHaveLength(1);
    expect(log.attempts[0]).toMatchObject({ status_code: 200, error: null });
  });

  it("retry a receiver that answers 500 twice: three attempts, one webhook-id, growing delays", async () => {
    const { key, jobId, user } = await jobWithHook("fail-twice");
    await waitDone(jobId, user);
    const messages = await until(
      () => received(key),
      (m) => m.length >= 3,
    );
    expect(messages.map((m) => m.answered)).toEqual([500, 500, 200]);
    expect(new Set(messages.map((m) => m.webhook_id)).size).toBe(1);
    expect(messages.every((m) => m.verified)).toBe(true);
    const [a, b, c] = messages.map((m) => m.received_at) as [number, number, number];
    expect(c - b).toBeGreaterThan(b - a);
    const log = await until(
      () => deliveries(jobId, user),
      (d) => d.messages[0]?.state === "delivered",
    );
    expect(log.attempts.map((x) => x.status_code)).toEqual([500, 500, 200]);
    expect(log.messages[0]?.attempts).toBe(3);
  });

  it("honour Retry-After", async () => {
    const { key, jobId, user } = await jobWithHook("retry-after");
    await waitDone(jobId, user);
    const [first, second] = await until(
      () => received(key),
      (m) => m.length >= 2,
    );
    expect(first?.answered).toBe(429);
    // The receiver asked for 2 s; the back-off alone would be 150-300 ms.
    expect((second?.received_at ?? 0) - (first?.received_at ?? 0)).toBeGreaterThanOrEqual(1900);
  });

  it("end a delivery that gets a 4xx as failed, after one attempt", async () => {
    const { key, jobId, user } = await jobWithHook("gone");
    await waitDone(jobId, user);
    const log = await until(
      () => deliveries(jobId, user),
      (d) => d.messages[0]?.state === "failed",
    );
    expect(log.attempts.map((a) => a.status_code)).toEqual([410]);
    expect(await received(key)).toHaveLength(1);
  });

  it("do not hold up the job when the receiver never answers", async () => {
    const { jobId, user } = await jobWithHook("hang");
    const view = await waitDone(jobId, user);
    expect(view.status).toBe("completed");
    const log = await deliveries(jobId, user);
    expect(log.messages[0]?.state).toBe("pending");
    // The attempt ends at the 10 s delivery timeout, is recorded as such, and is retried.
    const after = await until(
      () => deliveries(jobId, user),
      (d) => d.attempts.length >= 1,
    );
    expect(after.attempts[0]).toMatchObject({
      status_code: null,
      error: "no answer within 10000 ms",
    });
    expect(after.attempts[0]?.duration_ms).toBeGreaterThanOrEqual(10_000);
    expect(after.messages[0]).toMatchObject({ state: "pending", attempts: 1 });
  }, 60_000);

  it("lose nothing when the object is reset between attempts", async () => {
    const { key, jobId, user } = await jobWithHook("fail-twice");
    await waitDone(jobId, user);
    await until(
      () => deliveries(jobId, user),
      (d) => d.attempts.length >= 1,
    );
    await resetObject(jobId);
    const messages = await until(
      () => received(key),
      (m) => m.some((x) => x.answered === 200),
    );
    expect(messages.map((m) => m.answered)).toEqual([500, 500, 200]);
    expect(new Set(messages.map((m) => m.webhook_id))).toEqual(new Set([`msg_${jobId}_completed`]));
  });

  it("send only the events a job subscribed to", async () => {
    const key = uid("hook");
    const body = shortJob({
      project_tree: { "test/bad.sql": "SELECT * FROM missing_table;" },
      head_path: "test/bad.sql",
      webhook: { url: `${receiverUrl()}/ok/${key}`, events: ["job.completed"] },
    });
    const res = await call("/v1/jobs", { body });
    const { job_id } = await res.json<{ job_id: string }>();
    const view = await waitDone(job_id, body.user_id as string);
    expect(view.status).toBe("failed");
    const log = await deliveries(job_id, body.user_id as string);
    expect(log.messages).toEqual([]);
  });

  it.each([
    ["ftp://hooks.example.com/x", "only https: URLs are allowed"],
    ["http://10.0.0.1/x", "only https: URLs are allowed"],
    ["https://192.168.1.1/x", "192.168.1.1 is not a public host"],
    ["https://metadata.internal/x", "metadata.internal is not a public host"],
  ])("refuse %s at create with 422 invalid_webhook", async (url, message) => {
    const res = await call("/v1/jobs", { body: shortJob({ webhook: { url } }) });
    expect(res.status).toBe(422);
    const error = await errorOf(res);
    expect(error).toMatchObject({ code: "invalid_webhook", message, field: "webhook.url" });
  });
});
