// A tail longer than one alarm's time budget continues in the next alarm from its last layer.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { JobObject } from "../../src/objects/job-object.ts";
import { call, project, uid, waitDone } from "./helpers.ts";

describe("long tails", () => {
  it("continue in the next alarm from the last published layer", async () => {
    const user = uid("user");
    const res = await call("/v1/jobs", {
      body: { request_id: uid("req"), user_id: user, mode: "long", project_tree: project() },
    });
    const { job_id: jobId } = await res.json<{ job_id: string }>();
    // A 1 ms budget: every alarm replays one step, publishes its layer and hands over.
    await runInDurableObject(env.JOBS.get(env.JOBS.idFromName(jobId)), (obj: JobObject) => {
      obj.budgetMs = 1;
    });
    await call(`/v1/jobs/${jobId}/run`, { body: { head_path: "test/count.sql" }, user });
    const view = await waitDone(jobId, user);
    expect(view.error).toBeNull();
    expect(view.result?.sets[0]?.rows).toEqual([["3", "4.50"]]);
    expect(view.snapshot).toMatchObject({ hit: false, reused_steps: 0, replayed_steps: 3 });
    const logs = await (await call(`/v1/jobs/${jobId}/logs`, { user })).json<{
      events: { type: string; data: Record<string, unknown> }[];
    }>();
    const handovers = logs.events.filter((e) =>
      String(e.data.message ?? "").includes("continuing in the next alarm"),
    );
    expect(handovers).toHaveLength(2);
    const replayed = logs.events.filter((e) => e.type === "step" && e.data.state === "replayed");
    expect(replayed.map((e) => e.data.index)).toEqual([1, 2, 3]);
  });
});
