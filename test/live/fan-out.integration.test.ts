// 100 subscribers on one job all receive the same sequence: the stored one, complete and in order.
import { describe, expect, it } from "vitest";
import { appendPart, longJob, runJob, storedEvents, subscribe, ticketFor } from "./helpers.ts";

describe("fan-out", () => {
  it("gives 100 subscribers the same complete sequence and a normal close", async () => {
    const job = await longJob();
    const ticket = await ticketFor(job.jobId, job.user);
    const subs = await Promise.all(
      Array.from({ length: 100 }, () => subscribe(job.jobId, { ticket })),
    );
    await appendPart(job, 1);
    await appendPart(job, 2);
    await appendPart(job, 3);
    await runJob(job);
    const closes = await Promise.all(subs.map((s) => s.closed));
    expect(closes.every((c) => c.code === 1000)).toBe(true);
    const all = await storedEvents(job.jobId, job.user);
    expect(all.at(-1)?.data).toMatchObject({ status: "completed", terminal: true });
    for (const sub of subs) expect(sub.events).toEqual(all);
  });
});
