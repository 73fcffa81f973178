// `reused_steps` is not a cross-tenant oracle (issue 9), on the real stack: a user running a tail
// only another user ran is told every step was replayed (snapshot, cache_hit, step events, the
// boot log), with the same rows; once they ran it themselves they are told of reuse; a tail
// sharing a prefix with one of their own shows reuse up to that prefix only; the user who built
// the layers sees them reused.
import { describe, expect, it } from "vitest";
import type { JobEvent } from "../../src/jobs/model.ts";
import { call, project, runToEnd, uid } from "./helpers.ts";

async function events(jobId: string, user: string): Promise<JobEvent[]> {
  const res = await call(`/v1/jobs/${jobId}/logs?after=0&limit=1000`, { user });
  expect(res.status).toBe(200);
  return (await res.json<{ events: JobEvent[] }>()).events;
}

const steps = (list: JobEvent[]) => list.filter((e) => e.type === "step");

describe("reuse report", () => {
  it("user B running user A's tail sees no reuse; each sees reuse of what they ran", async () => {
    const a = uid("user-a");
    const b = uid("user-b");
    const tree = project();
    const head = "test/all.sql";
    const first = await runToEnd({ user_id: a, project_tree: tree, head_path: head });
    expect(first.snapshot).toMatchObject({ hit: false, reused_steps: 0, replayed_steps: 3 });

    // B, the same tail: booted from A's layer, reported as a full replay.
    const other = await runToEnd({ user_id: b, project_tree: tree, head_path: head });
    expect(other.status).toBe("completed");
    expect(other.snapshot).toMatchObject({
      hit: false,
      reused_steps: 0,
      replayed_steps: 3,
      tail_steps: 3,
      tail_hash: first.snapshot?.tail_hash,
    });
    expect(other.metrics.cache_hit).toBe(false);
    expect(other.result?.sets[0]?.rows).toEqual(first.result?.sets[0]?.rows);
    const seen = await events(other.jobId, b);
    expect(steps(seen).some((e) => e.data.state === "reused")).toBe(false);
    expect(
      steps(seen)
        .filter((e) => e.data.state === "replayed")
        .map((e) => e.data.index),
    ).toEqual([1, 2, 3]);
    expect(seen.some((e) => e.type === "stage" && e.data.stage === "tail_replay")).toBe(true);
    const boot = seen.find(
      (e) => e.type === "log" && /^instance booted/.test(String(e.data.message)),
    );
    expect(boot?.data.message).toMatch(/^instance booted in [\d.]+ ms$/);

    // A again: A's own layers, reported as reused.
    const again = await runToEnd({ user_id: a, project_tree: tree, head_path: head });
    expect(again.snapshot).toMatchObject({ hit: true, reused_steps: 3, replayed_steps: 0 });
    expect(again.metrics.cache_hit).toBe(true);
    const reusedEvent = steps(await events(again.jobId, a)).find((e) => e.data.state === "reused");
    expect(reusedEvent?.data).toMatchObject({
      reused_steps: 3,
      layer_id: again.snapshot?.layer_id,
    });

    // B again: B has run this tail now.
    const bAgain = await runToEnd({ user_id: b, project_tree: tree, head_path: head });
    expect(bAgain.snapshot).toMatchObject({ hit: true, reused_steps: 3, replayed_steps: 0 });
  });

  it("a tail sharing a prefix with the user's own shows reuse of that prefix only", async () => {
    const a = uid("user-a");
    const b = uid("user-b");
    const tree = project();
    const head = "test/all.sql";
    await runToEnd({ user_id: a, project_tree: tree, head_path: head });
    // B runs the tail with its last step edited: init/ and seed/01 are A's layers (not shown).
    const edited = {
      ...tree,
      "seed/02_more.sql": tree["seed/02_more.sql"]!.replace("'plum', 2.50", "'fig', 3.10"),
    };
    const bEdited = await runToEnd({ user_id: b, project_tree: edited, head_path: head });
    expect(bEdited.snapshot).toMatchObject({ hit: false, reused_steps: 0, replayed_steps: 3 });
    // Then A's original tail: its first two steps are a prefix B ran, the third only A ran.
    const bOriginal = await runToEnd({ user_id: b, project_tree: tree, head_path: head });
    expect(bOriginal.status).toBe("completed");
    expect(bOriginal.snapshot).toMatchObject({ hit: false, reused_steps: 2, replayed_steps: 1 });
    const list = steps(await events(bOriginal.jobId, b));
    const reused = list.find((e) => e.data.state === "reused");
    expect(reused?.data.reused_steps).toBe(2);
    // The layer it booted from is A's (of all three steps): not named in the partial report.
    expect(reused?.data.layer_id).toBeUndefined();
    expect(list.filter((e) => e.data.state === "replayed").map((e) => e.data.index)).toEqual([3]);
  });
});
