// The per-job event cap and paged replays, reached through the worker: a storm of log events
// stores at most EVENT_LIMITS.maxLogEvents of them plus a summary naming how many were dropped;
// SSE replays a backlog larger than many pages completely; a WebSocket replays one page per
// connection (close 4000 with the cursor) until the terminal event (close 1000).
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { JobEvent } from "../../src/jobs/model.ts";
import { EVENT_LIMITS, LIVE_LIMITS } from "../../src/limits/limits.ts";
import { CLOSE_MORE } from "../../src/live/hub.ts";
import type { JobObject } from "../../src/objects/job-object.ts";
import { call } from "../api/helpers.ts";
import { longJob, readSse, storedEvents, subscribe, ticketFor } from "../live/helpers.ts";

function stub(jobId: string): DurableObjectStub<JobObject> {
  return env.JOBS.get(env.JOBS.idFromName(jobId));
}

const STORM = EVENT_LIMITS.maxLogEvents + 1500;

/** A canceled long job whose log received `STORM` lines (one of them far over the length cap). */
async function stormedJob() {
  const job = await longJob();
  await runInDurableObject(stub(job.jobId), (obj) => {
    obj.emit("log", { level: "notice", message: "x".repeat(EVENT_LIMITS.maxMessageChars * 3) });
    for (let i = 1; i < STORM; i++) obj.emit("log", { level: "notice", message: `notice ${i}` });
  });
  const res = await call(`/v1/jobs/${job.jobId}/cancel`, { method: "POST", user: job.user });
  expect(res.status).toBe(200);
  return job;
}

describe("event cap", () => {
  it("stores at most maxLogEvents log lines, then one summary with the dropped count", async () => {
    const job = await stormedJob();
    const events = await storedEvents(job.jobId, job.user);
    const logs = events.filter((e) => e.type === "log");
    expect(logs).toHaveLength(EVENT_LIMITS.maxLogEvents + 1);
    const first = logs[0]?.data;
    expect(first?.truncated).toBe(true);
    expect(String(first?.message)).toHaveLength(EVENT_LIMITS.maxMessageChars);
    const summary = logs.at(-1)?.data;
    expect(summary).toMatchObject({ level: "warning", dropped: 1500, dropped_total: 1500 });
    expect(String(summary?.message)).toContain(`at most ${EVENT_LIMITS.maxLogEvents}`);
    // The summary comes before the event that flushed it: the terminal status stays last.
    expect(events.at(-1)?.data).toMatchObject({ status: "canceled", terminal: true });
  });

  it("replays a backlog of many pages completely over SSE, then ends", async () => {
    const job = await stormedJob();
    const all = await storedEvents(job.jobId, job.user);
    expect(all.length).toBeGreaterThan(LIVE_LIMITS.ssePageEvents * 10);
    const res = await call(`/v1/jobs/${job.jobId}/logs?after=3`, {
      user: job.user,
      headers: { accept: "text/event-stream" },
    });
    expect(res.status).toBe(200);
    const frames = await readSse(res);
    expect(frames.map((f) => f.data)).toEqual(all.filter((e) => e.seq > 3));
  });

  it("replays one WebSocket page per connection; the close reason is the cursor", async () => {
    const job = await stormedJob();
    const all = await storedEvents(job.jobId, job.user);
    const seen: JobEvent[] = [];
    let after = 0;
    let closes = 0;
    for (;;) {
      const query: Record<string, string> = { ticket: await ticketFor(job.jobId, job.user) };
      if (after > 0) query.after = String(after);
      const sub = await subscribe(job.jobId, query);
      const closed = await sub.closed;
      closes++;
      seen.push(...sub.events);
      expect(sub.events.length).toBeLessThanOrEqual(LIVE_LIMITS.wsReplayEvents);
      if (closed.code === 1000) break;
      expect(closed.code).toBe(CLOSE_MORE);
      expect(Number(closed.reason)).toBe(sub.events.at(-1)?.seq);
      after = Number(closed.reason);
    }
    expect(seen).toEqual(all);
    expect(closes).toBe(Math.ceil(all.length / LIVE_LIMITS.wsReplayEvents));
  });
});
