// Reconnecting with `?after=<seq>` gets exactly the events the client missed: no gap, no duplicate.
import { describe, expect, it } from "vitest";
import { waitDone } from "../jobs/helpers.ts";
import { appendPart, longJob, runJob, storedEvents, subscribe, ticketFor } from "./helpers.ts";

describe("reconnect with after", () => {
  it("replays exactly the missed events, then continues live to the terminal event", async () => {
    const job = await longJob();
    const first = await subscribe(job.jobId, { ticket: await ticketFor(job.jobId, job.user) });
    await appendPart(job, 1);
    await first.reached(2);
    first.ws.close(1000, "leaving");
    expect((await first.closed).code).toBe(1000);
    const seen = first.events.map((e) => e.seq);
    const lastSeen = seen.at(-1) ?? 0;

    // Events the client misses while away.
    await appendPart(job, 2);
    await appendPart(job, 3);
    const missed = (await storedEvents(job.jobId, job.user)).filter((e) => e.seq > lastSeen);
    expect(missed.length).toBeGreaterThanOrEqual(2);

    const second = await subscribe(job.jobId, {
      ticket: await ticketFor(job.jobId, job.user),
      after: String(lastSeen),
    });
    await second.reached(missed.at(-1)?.seq ?? 0);
    expect(second.events).toEqual(missed);

    await runJob(job);
    expect((await second.closed).code).toBe(1000);
    await waitDone(job.jobId, job.user);
    const all = await storedEvents(job.jobId, job.user);
    expect([...first.events, ...second.events]).toEqual(all);
    expect(all.at(-1)?.data).toMatchObject({ status: "completed", terminal: true });
  });

  it("an `after` at the last event of a finished job gets nothing and a normal close", async () => {
    const job = await longJob();
    await appendPart(job, 1);
    await appendPart(job, 2);
    await appendPart(job, 3);
    await runJob(job);
    await waitDone(job.jobId, job.user);
    const last = (await storedEvents(job.jobId, job.user)).at(-1)?.seq ?? 0;
    const sub = await subscribe(job.jobId, {
      ticket: await ticketFor(job.jobId, job.user),
      after: String(last),
    });
    expect((await sub.closed).code).toBe(1000);
    expect(sub.events).toEqual([]);
  });
});
