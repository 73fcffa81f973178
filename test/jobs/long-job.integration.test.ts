// A long job assembled from three appends, then run; variables reach the head.
import { describe, expect, it } from "vitest";
import { call, project, uid, waitDone } from "./helpers.ts";

describe("long job", () => {
  it("is built with three appends, runs, and passes variables to the head", async () => {
    const user = uid("user");
    const tree = project();
    const created = await call("/v1/jobs", {
      body: { request_id: uid("req"), user_id: user, mode: "long" },
    });
    expect(created.status).toBe(202);
    const { job_id: jobId } = await created.json<{ job_id: string }>();
    const parts = [
      { "init/01_schema.sql": tree["init/01_schema.sql"] },
      {
        "seed/01_items.sql": tree["seed/01_items.sql"],
        "seed/02_more.sql": tree["seed/02_more.sql"],
      },
      { "test/pick.sql": "SELECT :'who' AS who, :n::int * 2 AS twice;" },
    ];
    for (const [i, files] of parts.entries()) {
      const res = await call(`/v1/jobs/${jobId}/append`, {
        body: { part: i + 1, project_tree: files },
        user,
      });
      expect(res.status).toBe(200);
    }
    const pending = await (await call(`/v1/jobs/${jobId}`, { user })).json<{ status: string }>();
    expect(pending.status).toBe("pending");
    const run = await call(`/v1/jobs/${jobId}/run`, {
      body: { head_path: "test/pick.sql", variables: { who: "O'Brien", n: "21" } },
      user,
    });
    expect(run.status).toBe(202);
    const done = await waitDone(jobId, user);
    expect(done.error).toBeNull();
    expect(done.status).toBe("completed");
    expect(done.parts).toEqual([1, 2, 3]);
    expect(done.snapshot?.tail_steps).toBe(3);
    expect(done.result?.sets[0]?.rows).toEqual([["O'Brien", "42"]]);
  });
});
