// Admission on the real stack: a full queue answers 429 too_many_jobs with Retry-After, jobs wait
// in `pending` with their place in the view and complete once a slot frees, one user's burst does
// not starve another user, a job whose timeout passes in the queue fails with `timeout`, and the
// slot of a job that died (its storage gone, never renewing) is taken back when its lease ends.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, getJob, uid, waitDone, waitFor } from "../jobs/helpers.ts";
import { testEnvManagerClient } from "../support/instance.ts";
import { accepted, BLOCK, createIn, jobStub, newPool, placeOf, QUICK } from "./helpers.ts";

async function cancel(jobId: string, user: string): Promise<void> {
  const res = await call(`/v1/jobs/${jobId}/cancel`, { method: "POST", user });
  expect(res.status).toBe(200);
}

describe("admission", () => {
  it("a full queue answers 429 too_many_jobs with Retry-After; the queued job runs once the slot frees", async () => {
    const pool = await newPool({ maxRunning: 1, maxQueued: 1 });
    const user = uid("user");
    const blocker = await accepted(createIn(pool, user, BLOCK));
    await waitFor(blocker, user, (v) => v.stage === "head_execution");
    const queued = await accepted(createIn(pool, user, QUICK));

    const waiting = await getJob(queued, user);
    expect(waiting.status).toBe("pending");
    expect(waiting.queue).toEqual({
      position: 1,
      queued: 1,
      running: 1,
      max_running: 1,
      user_running: 1,
      user_max_running: 4,
    });

    const { res } = await createIn(pool, user, QUICK);
    expect(res.status).toBe(429);
    const retryAfter = Number(res.headers.get("retry-after"));
    expect(Number.isInteger(retryAfter) && retryAfter >= 1).toBe(true);
    const { error } = await res.json<{ error: Record<string, unknown> }>();
    expect(error).toMatchObject({
      code: "too_many_jobs",
      limit_name: "ADMISSION_MAX_QUEUED",
      limit: 1,
      retry_after_s: retryAfter,
    });
    expect(error.message).toBe(
      "1 jobs already wait to run (the service's ADMISSION_MAX_QUEUED is 1); retry later",
    );

    await cancel(blocker, user);
    const done = await waitDone(queued, user);
    expect(done.error).toBeNull();
    expect(done.status).toBe("completed");
    expect(done.result?.sets[0]?.rows).toEqual([["42"]]);
    expect(done.queue).toBeNull();
  });

  it("holds a user at their plan's max_concurrent_jobs while the pool has room", async () => {
    const pool = await newPool({ maxRunning: 10, maxQueued: 10 });
    const user = uid("user");
    const blockers: string[] = [];
    for (let i = 0; i < 4; i++) blockers.push(await accepted(createIn(pool, user, BLOCK)));
    const fifth = await accepted(createIn(pool, user, QUICK));
    const view = await getJob(fifth, user);
    expect(view.status).toBe("pending");
    expect(view.queue).toMatchObject({ position: 1, running: 4, user_running: 4 });
    expect(view.queue?.user_max_running).toBe(4);
    // Another user is not held by the first one's cap.
    const other = uid("user");
    const theirs = await accepted(createIn(pool, other, QUICK));
    expect((await waitDone(theirs, other)).status).toBe("completed");
    expect((await getJob(fifth, user)).status).toBe("pending");

    await cancel(blockers[0] as string, user);
    expect((await waitDone(fifth, user)).status).toBe("completed");
    for (const b of blockers.slice(1)) await cancel(b, user);
  });

  it("a burst from one user does not starve another user's job", async () => {
    const pool = await newPool({ maxRunning: 1, maxQueued: 20 });
    const burst = uid("user");
    const blocker = await accepted(createIn(pool, burst, BLOCK));
    await waitFor(blocker, burst, (v) => v.stage === "head_execution");
    const theirs: string[] = [];
    for (let i = 0; i < 4; i++) theirs.push(await accepted(createIn(pool, burst, QUICK)));
    const late = uid("user");
    const mine = await accepted(createIn(pool, late, QUICK));

    // Created last, but first in line: its user has nothing running.
    expect((await getJob(mine, late)).queue?.position).toBe(1);
    expect((await getJob(theirs[0] as string, burst)).queue?.position).toBe(2);

    await cancel(blocker, burst);
    const mineDone = await waitDone(mine, late);
    expect(mineDone.status).toBe("completed");
    const burstDone = [];
    for (const id of theirs) burstDone.push(await waitDone(id, burst));
    expect(burstDone.map((v) => v.status)).toEqual([
      "completed",
      "completed",
      "completed",
      "completed",
    ]);
    // One slot: the burst's next job started only after the late user's job had ended.
    const firstOfBurst = Math.min(...burstDone.map((v) => Date.parse(v.started_at ?? "")));
    expect(Date.parse(mineDone.finished_at ?? "")).toBeLessThanOrEqual(firstOfBurst);
  });

  it("a job whose timeout_ms passes while queued fails with timeout and never runs", async () => {
    const pool = await newPool({ maxRunning: 1, maxQueued: 5 });
    const user = uid("user");
    const blocker = await accepted(createIn(pool, user, BLOCK));
    await waitFor(blocker, user, (v) => v.stage === "head_execution");
    const late = await accepted(createIn(pool, user, QUICK, { timeout_ms: 1500 }));

    const view = await waitDone(late, user);
    expect(view.status).toBe("failed");
    expect(view.error?.code).toBe("timeout");
    expect(view.error?.message).toMatch(
      /^the job waited \d+ ms for a free slot and its timeout_ms \(1500 ms\) passed before one came free \(1 of 1 slots in use, 1 of this user's 4\); it never ran$/,
    );
    expect(view.started_at).toBeNull();
    expect(view.result).toBeNull();
    // Its place was given back: the pool holds only the blocker.
    expect((await placeOf(pool, late)).position).toBeNull();
    expect((await placeOf(pool, blocker)).queued).toBe(0);
    await cancel(blocker, user);
  });

  it("the slot of a job that died without releasing it is taken back when its lease ends", async () => {
    const pool = await newPool({ maxRunning: 1, maxQueued: 5, leaseMs: 1500 });
    const user = uid("user");
    const dead = await accepted(createIn(pool, user, BLOCK));
    await waitFor(dead, user, (v) => v.stage === "head_execution");
    const next = await accepted(createIn(pool, user, QUICK));
    expect((await placeOf(pool, dead)).granted).toBe(true);

    // The job dies for good: its storage and alarm are gone and the object is reset, so nothing
    // will ever renew or release its slot. (Its instance is dropped by hand, as the orphan sweep
    // would.)
    const instanceId = await runInDurableObject(jobStub(dead), (obj) => obj.active?.instanceId);
    await runInDurableObject(jobStub(dead), async (_obj, state) => {
      await state.storage.deleteAlarm();
      await state.storage.deleteAll();
      state.abort("test: the job dies");
    }).catch(() => {});
    if (instanceId) await testEnvManagerClient().destroy(instanceId);

    const view = await waitDone(next, user);
    expect(view.status).toBe("completed");
    expect(view.result?.sets[0]?.rows).toEqual([["42"]]);
    const place = await placeOf(pool, dead);
    expect(place.granted).toBe(false);
    expect(place.position).toBeNull();
  });
});
