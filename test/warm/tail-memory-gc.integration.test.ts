// A remembered layer that GC removed (issue 13 item 3): the isolate's memory says tail -> layer,
// snapshot-cache's GC has deleted that layer since, and the next job with the tail must still
// complete with the right rows, booting from what the cache really holds (the longest prefix left)
// and replaying the rest. Everything is real: the jobs go through the API, the layer leaves
// env-manager's warm pool because other tails take its place, and snapshot-cache's own GC
// deletes it. The memory is the Worker's module, which the test shares with the job objects
// (one isolate), so the test can check that the memory really held the removed layer.
import { describe, expect, inject, it } from "vitest";
import { recallTail } from "../../src/warm/tail-memory.ts";
import { project, runToEnd } from "../jobs/helpers.ts";
import { eventually } from "../telemetry/helpers.ts";

/** Other tails to run so the layer leaves the pool (the test platform keeps 4 recent sources). */
const OTHER_TAILS = 4;

async function platform<T>(
  service: "envManagerUrl" | "snapshotCacheUrl",
  method: "GET" | "POST" | "DELETE",
  path: string,
): Promise<{ status: number; json: T }> {
  const res = await fetch(`${inject(service)}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${inject("platformToken")}`,
      ...(method === "POST" ? { "content-type": "application/json" } : {}),
    },
    ...(method === "POST" ? { body: "{}" } : {}),
  });
  return { status: res.status, json: (await res.json()) as T };
}

describe("tail memory after GC", () => {
  it("falls back to the longest cached prefix when the remembered layer is gone", async () => {
    const tree = project();
    const cold = await runToEnd({ project_tree: tree, head_path: "test/all.sql" });
    expect(cold.error).toBeNull();
    expect(cold.snapshot).toMatchObject({ hit: false, replayed_steps: 3 });
    const tailHash = cold.snapshot?.tail_hash as string;
    const removed = cold.snapshot?.layer_id as string;
    // The job remembered the tail's layer when it published it.
    expect(recallTail(tailHash)).toBe(removed);
    const warm = await runToEnd({ project_tree: tree, head_path: "test/all.sql" });
    expect(warm.snapshot).toMatchObject({ hit: true, layer_id: removed });

    // snapshot-cache forgets the tail's layer (the other two layers of the chain stay) ...
    const unindexed = await platform(
      "snapshotCacheUrl",
      "DELETE",
      `/v1/layers/by-hash/${tailHash}`,
    );
    expect(unindexed.status).toBe(200);
    // ... other tails push it out of env-manager's warm pool, so nothing uses it once its
    // "written, maybe not published yet" protection ends (publishGraceMs, 60 s in the test
    // platform, from when the cold job wrote it) ...
    const others = await Promise.all(
      Array.from({ length: OTHER_TAILS }, () =>
        runToEnd({ project_tree: project(), head_path: "test/count.sql" }),
      ),
    );
    for (const o of others) expect(o.error).toBeNull();
    await eventually(async () => {
      const inUse = await platform<{ layer_ids: string[] }>(
        "envManagerUrl",
        "GET",
        "/v1/layers/in-use",
      );
      expect(inUse.json.layer_ids).not.toContain(removed);
    }, 120_000);
    // ... and its GC deletes it.
    const gc = await platform<{ deleted: { layer_id: string }[] }>(
      "snapshotCacheUrl",
      "POST",
      "/v1/gc",
    );
    expect(gc.status).toBe(200);
    expect(gc.json.deleted.map((d) => d.layer_id)).toContain(removed);
    // The memory still names it: the next job boots from it first.
    expect(recallTail(tailHash)).toBe(removed);

    const after = await runToEnd({ project_tree: tree, head_path: "test/all.sql" });
    expect(after.status).toBe("completed");
    expect(after.error).toBeNull();
    expect(after.result?.sets).toEqual(cold.result?.sets);
    expect(after.snapshot).toMatchObject({
      tail_hash: tailHash,
      hit: false,
      reused_steps: 2,
      replayed_steps: 1,
    });
    const republished = after.snapshot?.layer_id as string;
    expect(republished).not.toBe(removed);
    // The cache and the memory both name the new layer now.
    const byHash = await platform<{ layer: { layer_id: string } }>(
      "snapshotCacheUrl",
      "GET",
      `/v1/layers/by-hash/${tailHash}`,
    );
    expect(byHash.json.layer.layer_id).toBe(republished);
    expect(recallTail(tailHash)).toBe(republished);
  }, 240_000);
});
