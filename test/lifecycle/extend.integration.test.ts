// TTL plans and extension: limits per plan (X-User-Plan), 403 plan_limit, and an extended job
// whose layer is pinned in snapshot-cache and which outlives its original expiry.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import { call, errorOf, shortJob } from "../api/helpers.ts";
import { waitDone } from "../jobs/helpers.ts";
import { TEST_PLANS } from "../support/plans.ts";
import { jobStub } from "./helpers.ts";

const DAY = 24 * 3600;

async function completedJob(jobTtl = 60, headers: Record<string, string> = {}) {
  const body = shortJob({ job_ttl: jobTtl });
  const res = await call("/v1/jobs", { body, headers });
  expect(res.status).toBe(202);
  const { job_id } = await res.json<{ job_id: string }>();
  const user = body.user_id as string;
  return { jobId: job_id, user, view: await waitDone(job_id, user) };
}

const extend = (jobId: string, user: string, body: unknown, plan?: string) =>
  call(`/v1/jobs/${jobId}/extend`, { body, user, headers: plan ? { "x-user-plan": plan } : {} });

describe("TTL plans", () => {
  it("refuse a create over the plan's max_job_ttl with 403 plan_limit", async () => {
    const res = await call("/v1/jobs", { body: shortJob({ job_ttl: 30 * DAY }) });
    expect(res.status).toBe(403);
    expect(await errorOf(res)).toMatchObject({
      code: "plan_limit",
      plan: "free",
      field: "job_ttl",
      limit_name: "max_job_ttl",
      limit: 7 * DAY,
    });
    const premium = await call("/v1/jobs", {
      body: shortJob({ job_ttl: 30 * DAY }),
      headers: { "x-user-plan": "premium" },
    });
    expect(premium.status).toBe(202);
  });

  it("refuse a create over the plan's max_snapshot_ttl with 403 plan_limit", async () => {
    const res = await call("/v1/jobs", { body: shortJob({ snapshot_ttl: 7 * DAY + 1 }) });
    expect(res.status).toBe(403);
    const err = await errorOf(res);
    expect(err).toMatchObject({
      code: "plan_limit",
      plan: "free",
      field: "snapshot_ttl",
      limit_name: "max_snapshot_ttl",
      limit: 7 * DAY,
    });
    expect(err.message).toBe(
      `snapshot_ttl ${7 * DAY + 1} is over the free plan's max_snapshot_ttl of ${7 * DAY}`,
    );
    const premium = await call("/v1/jobs", {
      body: shortJob({ snapshot_ttl: 90 * DAY }),
      headers: { "x-user-plan": "premium" },
    });
    expect(premium.status).toBe(202);
  });

  it("refuse a plan the deployment does not define with 422 unknown_plan", async () => {
    const res = await call("/v1/jobs", { body: shortJob(), headers: { "x-user-plan": "gold" } });
    expect(res.status).toBe(422);
    // The built-in plans, then the test Worker's own (its PLANS binding).
    expect(await errorOf(res)).toMatchObject({
      code: "unknown_plan",
      plans: ["free", "premium", ...Object.keys(TEST_PLANS)],
    });
  });
});

describe("extension", () => {
  it("refuses the free plan over its limit and lets premium extend", async () => {
    const { jobId, user, view } = await completedJob();
    expect(view.plan).toBe("free");
    const refused = await extend(jobId, user, { job_ttl: 30 * DAY });
    expect(refused.status).toBe(403);
    expect(await errorOf(refused)).toMatchObject({ code: "plan_limit", limit: 7 * DAY });
    const unchanged = await (await call(`/v1/jobs/${jobId}`, { user })).json<{
      expires_at: string;
    }>();
    expect(unchanged.expires_at).toBe(view.expires_at);

    const ok = await extend(jobId, user, { job_ttl: 30 * DAY, snapshot_ttl: 60 * DAY }, "premium");
    expect(ok.status).toBe(200);
    const out = await ok.json<{ expires_at: string; layers_pinned_until: string; plan: string }>();
    expect(out.plan).toBe("premium");
    expect(Date.parse(out.expires_at)).toBeGreaterThan(Date.now() + 29 * DAY * 1000);
    expect(Date.parse(out.layers_pinned_until)).toBeGreaterThan(Date.now() + 59 * DAY * 1000);
    const after = await (await call(`/v1/jobs/${jobId}`, { user })).json<{
      plan: string;
      expires_at: string;
    }>();
    expect(after).toMatchObject({ plan: "premium", expires_at: out.expires_at });
  });

  it("keeps the extended job and its layer past the original expiry; the other job is collected", async () => {
    const extended = await completedJob();
    const plain = await completedJob();
    const pinned = await extend(extended.jobId, extended.user, {
      job_ttl: 3600,
      snapshot_ttl: 7 * DAY,
    });
    expect(pinned.status).toBe(200);
    const { layers_pinned_until } = await pinned.json<{ layers_pinned_until: string }>();

    // The layer in snapshot-cache now expires no earlier than the pin.
    const tailHash = extended.view.snapshot?.tail_hash ?? "";
    const res = await fetch(`${inject("snapshotCacheUrl")}/v1/layers/by-hash/${tailHash}`, {
      headers: { authorization: `Bearer ${inject("platformToken")}` },
    });
    const { layer } = await res.json<{ layer: { expires_at: string } }>();
    expect(Date.parse(layer.expires_at)).toBeGreaterThanOrEqual(Date.parse(layers_pinned_until));

    // Both jobs' original expiry (created + 60 s) passes: the alarm keeps one, collects the other.
    for (const { jobId } of [extended, plain]) {
      await runInDurableObject(jobStub(jobId), (obj) => {
        const created = obj.store.job()?.created_at ?? 0;
        if ((obj.store.job()?.expires_at ?? 0) <= created + 60_000) {
          obj.store.update({ expires_at: Date.now() - 1 });
        }
      });
      await runDurableObjectAlarm(jobStub(jobId));
    }
    expect((await call(`/v1/jobs/${extended.jobId}`, { user: extended.user })).status).toBe(200);
    expect((await call(`/v1/jobs/${plain.jobId}`, { user: plain.user })).status).toBe(404);
  });

  it("answers 404 for another user's job and 400 for an empty body", async () => {
    const { jobId, user } = await completedJob();
    expect((await extend(jobId, "someone-else", { job_ttl: 120 })).status).toBe(404);
    const empty = await extend(jobId, user, {});
    expect(empty.status).toBe(400);
    expect((await errorOf(empty)).code).toBe("validation_failed");
  });
});
