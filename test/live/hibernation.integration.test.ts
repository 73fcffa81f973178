// A subscriber's socket survives the Durable Object being evicted with its WebSockets hibernated,
// and keeps receiving the events stored after the object wakes again; client frames are answered.
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { JobObject } from "../../src/objects/job-object.ts";
import { appendPart, longJob, runJob, storedEvents, subscribe, ticketFor } from "./helpers.ts";

describe("hibernation", () => {
  it("keeps a socket across eviction; it receives every later event and the final close", async () => {
    const job = await longJob();
    const sub = await subscribe(job.jobId, { ticket: await ticketFor(job.jobId, job.user) });
    await appendPart(job, 1);
    const before = await storedEvents(job.jobId, job.user);
    await sub.reached(before.at(-1)?.seq ?? 0);

    const stub = env.JOBS.get(env.JOBS.idFromName(job.jobId));
    // A marker in memory only: after the eviction a fresh instance no longer has it.
    await runInDurableObject(stub, (instance: JobObject) => {
      instance.budgetMs = 12_345;
    });
    await evictDurableObject(stub, { webSockets: "hibernate" });
    const fresh = await runInDurableObject(stub, (instance: JobObject) => instance.budgetMs);
    expect(fresh).not.toBe(12_345);

    // Pings are answered by the runtime; anything else gets an error frame, not a crash.
    sub.ws.send("ping");
    expect(await sub.nextOther()).toBe("pong");
    sub.ws.send("subscribe me to everything");
    expect(JSON.parse(await sub.nextOther())).toMatchObject({
      type: "error",
      code: "unsupported_message",
    });

    await appendPart(job, 2);
    await appendPart(job, 3);
    await evictDurableObject(stub, { webSockets: "hibernate" });
    await runJob(job);
    expect((await sub.closed).code).toBe(1000);
    const all = await storedEvents(job.jobId, job.user);
    expect(sub.events).toEqual(all);
    expect(all.at(-1)?.data).toMatchObject({ status: "completed", terminal: true });
  });
});
