// `GET /v1/jobs/{id}/logs` with `Accept: text/event-stream`: the same numbered events as SSE with
// `id:` = seq; `Last-Event-ID` (or `?after=`) resumes; the stream ends after the terminal event.
import { describe, expect, it } from "vitest";
import { call, errorOf, uid } from "../api/helpers.ts";
import { waitDone } from "../jobs/helpers.ts";
import { appendPart, longJob, readSse, runJob, storedEvents } from "./helpers.ts";

const SSE = { accept: "text/event-stream" };

describe("SSE logs", () => {
  it("streams stored then live events and closes after the terminal one", async () => {
    const job = await longJob();
    await appendPart(job, 1);
    const res = await call(`/v1/jobs/${job.jobId}/logs`, { user: job.user, headers: SSE });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const reading = readSse(res);
    await appendPart(job, 2);
    await appendPart(job, 3);
    await runJob(job);
    const frames = await reading;
    const all = await storedEvents(job.jobId, job.user);
    expect(frames.map((f) => f.data)).toEqual(all);
    expect(frames.map((f) => f.id)).toEqual(all.map((e) => e.seq));
    expect(frames.every((f) => f.event === undefined)).toBe(true);
    expect(frames.at(-1)?.data.data).toMatchObject({ status: "completed", terminal: true });
  });

  it("resumes after Last-Event-ID (over ?after=), and answers 204 when nothing is left", async () => {
    const job = await longJob();
    await appendPart(job, 1);
    await appendPart(job, 2);
    await appendPart(job, 3);
    await runJob(job);
    await waitDone(job.jobId, job.user);
    const all = await storedEvents(job.jobId, job.user);
    const cut = Math.floor(all.length / 2);

    const resumed = await call(`/v1/jobs/${job.jobId}/logs?after=1`, {
      user: job.user,
      headers: { ...SSE, "last-event-id": String(cut) },
    });
    expect((await readSse(resumed)).map((f) => f.data)).toEqual(all.filter((e) => e.seq > cut));

    const byQuery = await call(`/v1/jobs/${job.jobId}/logs?after=${cut + 1}`, {
      user: job.user,
      headers: SSE,
    });
    expect((await readSse(byQuery)).map((f) => f.id)).toEqual(
      all.filter((e) => e.seq > cut + 1).map((e) => e.seq),
    );

    const last = all.at(-1)?.seq ?? 0;
    const over = await call(`/v1/jobs/${job.jobId}/logs`, {
      user: job.user,
      headers: { ...SSE, "last-event-id": String(last) },
    });
    expect(over.status).toBe(204);
  });

  it("refuses a bad Last-Event-ID and another user's job", async () => {
    const job = await longJob();
    const bad = await call(`/v1/jobs/${job.jobId}/logs`, {
      user: job.user,
      headers: { ...SSE, "last-event-id": "seven" },
    });
    expect(bad.status).toBe(400);
    const error = await errorOf(bad);
    expect(error.code).toBe("validation_failed");
    expect(error.message).toContain("Last-Event-ID");

    const other = await call(`/v1/jobs/${job.jobId}/logs`, { user: uid("user"), headers: SSE });
    expect(other.status).toBe(404);
    expect((await errorOf(other)).code).toBe("not_found");
  });
});
