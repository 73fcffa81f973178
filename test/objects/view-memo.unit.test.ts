// The job view served from memory between writes (src/jobs/write-counter.ts): polling reads no
// tables while nothing changed, and every change (an append, a cancel, a log event) shows at once.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { countWrites, ViewMemo } from "../../src/jobs/write-counter.ts";
import type { JobObject } from "../../src/objects/job-object.ts";
import { call, createJob, uid } from "../api/helpers.ts";

function stub(jobId: string): DurableObjectStub<JobObject> {
  return env.JOBS.get(env.JOBS.idFromName(jobId));
}

interface ViewBody {
  status: string;
  parts: number[];
  file_count: number;
  last_seq: number;
}

async function view(jobId: string, user: string): Promise<ViewBody> {
  const res = await call(`/v1/jobs/${jobId}`, { user });
  expect(res.status).toBe(200);
  return res.json<ViewBody>();
}

describe("write counter", () => {
  it("counts statements that write, not SELECTs, and a bump", async () => {
    const user = uid("user");
    const jobId = await createJob({ request_id: uid("req"), user_id: user, mode: "long" });
    await runInDurableObject(stub(jobId), (_obj, state) => {
      const counted = countWrites(state.storage.sql);
      counted.sql.exec("SELECT * FROM job").toArray();
      counted.sql.exec("  select count(*) FROM events").toArray();
      expect(counted.writes()).toBe(0);
      counted.sql.exec("CREATE TABLE IF NOT EXISTS memo_probe (x INTEGER)");
      counted.sql.exec("INSERT INTO memo_probe (x) VALUES (?)", 1);
      counted.sql.exec("WITH d AS (SELECT 1) DELETE FROM memo_probe");
      expect(counted.writes()).toBe(3);
      counted.bump();
      expect(counted.writes()).toBe(4);
      // The other members still reach the real handle.
      expect(counted.sql.databaseSize).toBe(state.storage.sql.databaseSize);
    });
  });

  it("keeps a view only for its owner and only while nothing was written", async () => {
    const user = uid("user");
    const jobId = await createJob({ request_id: uid("req"), user_id: user, mode: "long" });
    await runInDurableObject(stub(jobId), (_obj, state) => {
      const counted = countWrites(state.storage.sql);
      const memo = new ViewMemo<{ n: number }>(counted);
      const at = counted.writes();
      memo.put("alice", at, { n: 1 });
      expect(memo.get("alice")).toEqual({ n: 1 });
      expect(memo.get("bob")).toBeNull();
      counted.sql.exec("CREATE TABLE IF NOT EXISTS memo_probe (x INTEGER)");
      expect(memo.get("alice")).toBeNull();
      // Built from reads that a write overtook: not kept.
      memo.put("alice", at, { n: 2 });
      expect(memo.get("alice")).toBeNull();
    });
  });
});

describe("GET /v1/jobs/{id} between writes", () => {
  it("answers the same view while nothing changes and shows each change at once", async () => {
    const user = uid("user");
    const jobId = await createJob({ request_id: uid("req"), user_id: user, mode: "long" });
    const first = await view(jobId, user);
    expect(await view(jobId, user)).toEqual(first);
    expect(first.parts).toEqual([]);
    const res = await call(`/v1/jobs/${jobId}/append`, {
      body: { part: 1, project_tree: { "seed/a.sql": "SELECT 1;" } },
      user,
    });
    expect(res.status).toBe(200);
    const appended = await view(jobId, user);
    expect(appended.parts).toEqual([1]);
    expect(appended.file_count).toBe(1);
    expect(appended.last_seq).toBeGreaterThan(first.last_seq);
    // Another user never gets the kept view.
    expect((await call(`/v1/jobs/${jobId}`, { user: uid("other") })).status).toBe(404);
    const cancel = await call(`/v1/jobs/${jobId}/cancel`, { method: "POST", user });
    expect(cancel.status).toBe(200);
    expect((await view(jobId, user)).status).toBe("canceled");
  });
});
