// A job's WebSocket, end to end through the worker against the real local platform: every stage in
// order ending with the terminal event and a normal close; a late subscriber gets the whole story.
import { describe, expect, it } from "vitest";
import { call, project, submit } from "../jobs/helpers.ts";
import { longJob, storedEvents, subscribe, ticketFor } from "./helpers.ts";

const STAGES = ["parsing", "snapshot_lookup", "instance_boot", "tail_replay", "head_execution"];

describe("job WebSocket", () => {
  it("streams every stage in order, ends with the terminal status, then closes with 1000", async () => {
    const { jobId, user } = await submit({ project_tree: project(), head_path: "test/all.sql" });
    const sub = await subscribe(jobId, { ticket: await ticketFor(jobId, user) });
    const closed = await sub.closed;
    expect(closed.code).toBe(1000);

    const seqs = sub.events.map((e) => e.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    expect(sub.events).toEqual(await storedEvents(jobId, user));
    for (const e of sub.events) {
      expect(typeof e.ts).toBe("string");
      expect(Number.isNaN(Date.parse(e.ts))).toBe(false);
    }
    const doneStages = sub.events
      .filter((e) => e.type === "stage" && e.data.state === "done")
      .map((e) => String(e.data.stage));
    // Publishing recurs at every layer boundary; the main stages come in order, once each.
    expect(doneStages.filter((s) => s !== "publishing")).toEqual(STAGES);
    expect(doneStages).toContain("publishing");
    const statuses = sub.events.filter((e) => e.type === "status").map((e) => e.data.status);
    expect(statuses).toEqual(["pending", "preparing", "running", "publishing", "completed"]);
    const last = sub.events.at(-1);
    expect(last?.type).toBe("status");
    expect(last?.data).toMatchObject({ status: "completed", terminal: true });

    // Payloads stay small: the result event says where the rows are, it does not carry them.
    const result = sub.events.find((e) => e.type === "result");
    expect(result?.data).toMatchObject({ sets: 1, row_counts: [3], href: `/v1/jobs/${jobId}` });
    expect(JSON.stringify(result)).not.toContain("apple");
  });

  it("gives a subscriber that joins after the end the whole story, then closes with 1000", async () => {
    const { jobId, user } = await submit({ project_tree: project(), head_path: "test/count.sql" });
    for (;;) {
      const view = await (await call(`/v1/jobs/${jobId}`, { user })).json<{ status: string }>();
      if (view.status === "completed" || view.status === "failed") break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const sub = await subscribe(
      jobId,
      {},
      { authorization: "Bearer dev-gateway-token", "x-user-id": user },
    );
    expect((await sub.closed).code).toBe(1000);
    expect(sub.events).toEqual(await storedEvents(jobId, user));
    expect(sub.events.at(-1)?.data).toMatchObject({ status: "completed", terminal: true });
  });

  it("ends a canceled job with its terminal event and a normal close", async () => {
    const job = await longJob();
    const sub = await subscribe(job.jobId, { ticket: await ticketFor(job.jobId, job.user) });
    await sub.reached(1);
    const res = await call(`/v1/jobs/${job.jobId}/cancel`, { method: "POST", user: job.user });
    expect(res.status).toBe(200);
    expect((await sub.closed).code).toBe(1000);
    expect(sub.events).toEqual(await storedEvents(job.jobId, job.user));
    expect(sub.events.at(-1)?.data).toMatchObject({ status: "canceled", terminal: true });
  });
});
