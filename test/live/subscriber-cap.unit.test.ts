// Subscribers per job are capped (docs/limits.md "Events and live"): past LIVE_LIMITS.maxSockets
// WebSockets or LIVE_LIMITS.maxStreams SSE streams a new one answers 429 too_many_subscribers,
// and a subscriber that leaves frees its place.
import { describe, expect, it } from "vitest";
import { LIVE_LIMITS } from "../../src/limits/limits.ts";
import { call, errorOf } from "../api/helpers.ts";
import { longJob, subscribe, ticketFor, upgrade } from "./helpers.ts";

const SSE = { accept: "text/event-stream" };

/** Retries `attempt` until it answers `status` (a freed place is seen once the close lands). */
async function eventually(attempt: () => Promise<Response>, status: number): Promise<Response> {
  for (let i = 0; ; i++) {
    const res = await attempt();
    if (res.status === status || i === 50) return res;
    await res.body?.cancel();
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("subscribers per job", () => {
  it(`takes ${LIVE_LIMITS.maxSockets} WebSockets, refuses one more, and takes it once one closed`, async () => {
    const job = await longJob();
    const ticket = await ticketFor(job.jobId, job.user);
    const subs = await Promise.all(
      Array.from({ length: LIVE_LIMITS.maxSockets }, () => subscribe(job.jobId, { ticket })),
    );
    const refused = await upgrade(job.jobId, { ticket });
    expect(refused.status).toBe(429);
    const error = await errorOf(refused);
    expect(error.code).toBe("too_many_subscribers");
    expect(error.message).toContain(`${LIVE_LIMITS.maxSockets} WebSocket subscribers`);
    expect(error).toMatchObject({
      limit_name: "live_sockets_per_job",
      limit: LIVE_LIMITS.maxSockets,
    });

    subs[0]?.ws.close(1000, "done");
    await subs[0]?.closed;
    const again = await eventually(() => upgrade(job.jobId, { ticket }), 101);
    expect(again.status).toBe(101);
    again.webSocket?.accept();
    again.webSocket?.close(1000, "done");
    for (const s of subs.slice(1)) s.ws.close(1000, "done");
  });

  it(`takes ${LIVE_LIMITS.maxStreams} SSE streams, refuses one more, and takes it once one was canceled`, async () => {
    const job = await longJob();
    const open = () => call(`/v1/jobs/${job.jobId}/logs`, { user: job.user, headers: SSE });
    const streams: Response[] = [];
    for (let i = 0; i < LIVE_LIMITS.maxStreams; i++) {
      const res = await open();
      expect(res.status).toBe(200);
      streams.push(res);
    }
    const refused = await open();
    expect(refused.status).toBe(429);
    const error = await errorOf(refused);
    expect(error.code).toBe("too_many_subscribers");
    expect(error.message).toContain(`${LIVE_LIMITS.maxStreams} open event streams`);
    expect(error).toMatchObject({
      limit_name: "live_streams_per_job",
      limit: LIVE_LIMITS.maxStreams,
    });

    // The job is pending: no event will come to wake the canceled stream; its place is freed
    // because the object sees the consumer go.
    await streams[0]?.body?.cancel();
    const again = await eventually(open, 200);
    expect(again.status).toBe(200);
    await again.body?.cancel();
    for (const s of streams.slice(1)) await s.body?.cancel();
  });
});
