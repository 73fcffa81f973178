// The JobObject's storage rules, reached through the worker and inspected inside the object.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { contentStore, storeResolver } from "../../src/jobs/content-store.ts";
import { applyMigrations, MIGRATIONS } from "../../src/jobs/migrations.ts";
import { planTree } from "../../src/jobs/planning.ts";
import type { JobObject } from "../../src/objects/job-object.ts";
import { call, createJob, uid } from "../api/helpers.ts";

function stub(jobId: string): DurableObjectStub<JobObject> {
  return env.JOBS.get(env.JOBS.idFromName(jobId));
}

async function longJob() {
  const user = uid("user");
  const jobId = await createJob({ request_id: uid("req"), user_id: user, mode: "long" });
  return { user, jobId };
}

describe("JobObject storage", () => {
  it("applies migrations once; applying them again changes nothing", async () => {
    const { jobId } = await longJob();
    await runInDurableObject(stub(jobId), (obj, state) => {
      applyMigrations(state.storage.sql);
      const versions = state.storage.sql
        .exec<{ version: number }>("SELECT version FROM _migrations")
        .toArray();
      expect(versions.map((v) => v.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
      expect(obj.store.job()?.job_id).toBe(jobId);
    });
  });

  it("numbers events from 1 without gaps and serves them after a cursor", async () => {
    const { user, jobId } = await longJob();
    for (let part = 1; part <= 3; part++) {
      await call(`/v1/jobs/${jobId}/append`, {
        body: { part, project_tree: { [`seed/${part}.sql`]: "SELECT 1;" } },
        user,
      });
    }
    const all = await (await call(`/v1/jobs/${jobId}/logs`, { user })).json<{
      events: { seq: number; type: string }[];
      next_after: number;
      done: boolean;
    }>();
    expect(all.events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(all.events[0]?.type).toBe("status");
    expect(all.done).toBe(false);
    const rest = await (await call(`/v1/jobs/${jobId}/logs?after=2`, { user })).json<{
      events: { seq: number }[];
      next_after: number;
    }>();
    expect(rest.events.map((e) => e.seq)).toEqual([3, 4]);
    expect(rest.next_after).toBe(4);
  });

  it("refuses backward and post-terminal transitions (compare-and-set)", async () => {
    const { jobId } = await longJob();
    await runInDurableObject(stub(jobId), (obj) => {
      expect(obj.store.transition("running")).toBe(true);
      expect(obj.store.transition("preparing")).toBe(false);
      expect(obj.store.transition("canceled")).toBe(true);
      expect(obj.store.transition("completed")).toBe(false);
      expect(obj.store.job()?.status).toBe("canceled");
    });
  });

  it("keeps big files once, in the content store, and only a reference in the job", async () => {
    const { user, jobId } = await longJob();
    const big = `-- ${"x".repeat(3 * 1024 * 1024)} ${crypto.randomUUID()}\nSELECT 1;\n`;
    const small = "SELECT 2;\n";
    const res = await call(`/v1/jobs/${jobId}/append`, {
      body: { part: 1, project_tree: { "seed/big.sql": big, "seed/small.sql": small } },
      user,
    });
    expect(res.status).toBe(200);
    const tree = await runInDurableObject(stub(jobId), (obj) => obj.store.tree());
    expect(tree["seed/small.sql"]).toEqual({ content: small });
    const ref = tree["seed/big.sql"];
    expect(ref && "etag" in ref ? ref.etag : null).toMatch(/^sha256:[0-9a-f]{64}$/);
    const key = `sha256/${(ref as { etag: string }).etag.slice(7)}`;
    expect(await (await env.FILES.get(key))?.text()).toBe(big);
    // Planning from storage (as after an eviction) reads the bytes back from the content store.
    const plan = await runInDurableObject(stub(jobId), (obj) =>
      planTree(obj.store.tree(), "seed/small.sql", storeResolver(contentStore(env.FILES))),
    );
    expect(plan.files.get("seed/big.sql")).toBe(big);
    // The same bytes sent again, now as an etag, are the same file (no content_conflict).
    const again = await call(`/v1/jobs/${jobId}/append`, {
      body: { part: 2, project_tree: { "seed/big.sql": { etag: (ref as { etag: string }).etag } } },
      user,
    });
    expect(again.status).toBe(200);
  });

  it("cancel is idempotent and final", async () => {
    const { user, jobId } = await longJob();
    const first = await call(`/v1/jobs/${jobId}/cancel`, { method: "POST", user });
    expect(await first.json()).toEqual({ job_id: jobId, status: "canceled" });
    const again = await call(`/v1/jobs/${jobId}/cancel`, { method: "POST", user });
    expect(await again.json()).toEqual({ job_id: jobId, status: "canceled" });
    const view = await (await call(`/v1/jobs/${jobId}`, { user })).json<{
      status: string;
      error: { code: string };
    }>();
    expect(view.status).toBe("canceled");
    expect(view.error.code).toBe("canceled");
    const run = await call(`/v1/jobs/${jobId}/run`, { body: { head_path: "x.sql" }, user });
    expect(run.status).toBe(409);
  });

  it("deletes the job's storage once job_ttl has passed (alarm GC)", async () => {
    const { user, jobId } = await longJob();
    expect((await call(`/v1/jobs/${jobId}`, { user })).status).toBe(200);
    await runInDurableObject(stub(jobId), (obj) => {
      obj.store.sql.exec("UPDATE job SET expires_at = ?", Date.now() - 1);
    });
    await runInDurableObject(stub(jobId), (_obj, state) =>
      state.storage.setAlarm(Date.now() + 3_600_000),
    );
    expect(await runDurableObjectAlarm(stub(jobId))).toBe(true);
    expect((await call(`/v1/jobs/${jobId}`, { user })).status).toBe(404);
  });
});
