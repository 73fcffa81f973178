// Where layers are published: editing the last seed file replays only it; two test/ heads share
// the tail's layer; concurrent jobs with the same uncached tail replay it once.
import { describe, expect, it } from "vitest";
import { project, runToEnd, submit, waitDone } from "./helpers.ts";

describe("layers", () => {
  it("replays only the last seed step after it was edited", async () => {
    const tree = project();
    const first = await runToEnd({ project_tree: tree, head_path: "test/all.sql" });
    expect(first.snapshot?.replayed_steps).toBe(3);
    const edited = {
      ...tree,
      "seed/02_more.sql": tree["seed/02_more.sql"]!.replace("'plum', 2.50", "'fig', 3.10"),
    };
    const second = await runToEnd({ project_tree: edited, head_path: "test/all.sql" });
    expect(second.error).toBeNull();
    expect(second.snapshot).toMatchObject({ hit: false, reused_steps: 2, replayed_steps: 1 });
    expect(second.snapshot?.tail_hash).not.toBe(first.snapshot?.tail_hash);
    expect(second.result?.sets[0]?.rows.at(-1)).toEqual(["3", "fig", "3.10"]);
  });

  it("hits with a tree that sends etags instead of the tail's bytes", async () => {
    const tree = project();
    // Etags name content the same user sent (another user's would be unknown_etag).
    const user_id = `layers-etag-${crypto.randomUUID()}`;
    const first = await runToEnd({ user_id, project_tree: tree, head_path: "test/all.sql" });
    const byEtag: Record<string, string | { etag: string }> = { ...tree };
    for (const path of ["init/01_schema.sql", "seed/01_items.sql", "seed/02_more.sql"]) {
      const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(tree[path]));
      const hex = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join(
        "",
      );
      byEtag[path] = { etag: `sha256:${hex}` };
    }
    const second = await runToEnd({ user_id, project_tree: byEtag, head_path: "test/all.sql" });
    expect(second.error).toBeNull();
    expect(second.snapshot).toMatchObject({ hit: true, tail_hash: first.snapshot?.tail_hash });
    expect(second.result?.sets).toEqual(first.result?.sets);
  });

  it("lets two test/ heads share the tail layer", async () => {
    const tree = project();
    const all = await runToEnd({ project_tree: tree, head_path: "test/all.sql" });
    const count = await runToEnd({ project_tree: tree, head_path: "test/count.sql" });
    expect(count.snapshot?.tail_hash).toBe(all.snapshot?.tail_hash);
    expect(count.snapshot).toMatchObject({
      hit: true,
      replayed_steps: 0,
      layer_id: all.snapshot?.layer_id,
    });
    expect(count.result?.sets[0]?.rows).toEqual([["3", "4.50"]]);
  });

  it("replays an uncached tail once for concurrent jobs (single flight)", async () => {
    const tree = project();
    const jobs = await Promise.all(
      [1, 2, 3].map(() => submit({ project_tree: tree, head_path: "test/count.sql" })),
    );
    const views = await Promise.all(jobs.map((j) => waitDone(j.jobId, j.user)));
    for (const v of views) {
      expect(v.error).toBeNull();
      expect(v.result?.sets[0]?.rows).toEqual([["3", "4.50"]]);
    }
    const replayed = views.map((v) => v.snapshot?.replayed_steps).sort();
    expect(replayed).toEqual([0, 0, 3]);
  });
});
