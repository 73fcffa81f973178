// A short job end to end against the real local platform: miss, then a hit with the same rows.
import { describe, expect, it } from "vitest";
import { call, project, runToEnd, submit, uid } from "./helpers.ts";

describe("short job", () => {
  it("replays the tail, runs the head, and a second job on the same tail is a hit with the same rows", async () => {
    const tree = project();
    const first = await runToEnd({ project_tree: tree, head_path: "test/all.sql" });
    expect(first.error).toBeNull();
    expect(first.status).toBe("completed");
    expect(first.snapshot).toMatchObject({ hit: false, reused_steps: 0, replayed_steps: 3 });
    expect(first.result?.sets[0]?.columns).toEqual([
      { name: "id", type: "int4" },
      { name: "name", type: "text" },
      { name: "price", type: "numeric" },
    ]);
    expect(first.result?.sets[0]?.rows).toEqual([
      ["1", "apple", "1.20"],
      ["2", "pear", "0.80"],
      ["3", "plum", "2.50"],
    ]);
    expect(first.stages.map((s) => s.name)).toEqual(
      expect.arrayContaining([
        "parsing",
        "snapshot_lookup",
        "instance_boot",
        "tail_replay",
        "head_execution",
      ]),
    );

    const second = await runToEnd({ project_tree: tree, head_path: "test/all.sql" });
    expect(second.status).toBe("completed");
    expect(second.snapshot).toMatchObject({
      hit: true,
      reused_steps: 3,
      replayed_steps: 0,
      tail_hash: first.snapshot?.tail_hash,
    });
    expect(second.metrics.cache_hit).toBe(true);
    expect(second.result?.sets).toEqual(first.result?.sets);

    const logs = await (await call(`/v1/jobs/${first.jobId}/logs`, { user: first.user })).json<{
      events: { seq: number; type: string; data: Record<string, unknown> }[];
      done: boolean;
    }>();
    expect(logs.done).toBe(true);
    const replayed = logs.events.filter((e) => e.type === "step" && e.data.state === "replayed");
    expect(replayed.map((e) => e.data.path)).toEqual([
      "init/01_schema.sql",
      "seed/01_items.sql",
      "seed/02_more.sql",
    ]);
    expect(logs.events.at(-1)?.data).toMatchObject({ status: "completed", terminal: true });
    expect(uid()).not.toBe(uid());
  });
});

describe("long poll", () => {
  it("GET ?wait_ms answers as soon as the job ends", async () => {
    const { jobId, user } = await submit({ project_tree: project(), head_path: "test/count.sql" });
    const res = await call(`/v1/jobs/${jobId}?wait_ms=30000`, { user });
    expect(res.status).toBe(200);
    const view = await res.json<{ status: string; result: { sets: { rows: unknown[] }[] } }>();
    expect(view.status).toBe("completed");
    expect(view.result.sets[0]?.rows).toEqual([["3", "4.50"]]);
  });
});

describe("determinism", () => {
  it("gives the same rows from a replay and from a layer, random() included", async () => {
    const tag = crypto.randomUUID().slice(0, 8);
    const tree = {
      "init/01.sql": `CREATE TABLE draws_${tag} (n int, r double precision);`,
      "seed/01.sql": `INSERT INTO draws_${tag} SELECT g, random() FROM generate_series(1, 5) g;`,
      "test/q.sql": `SELECT n, r, random() AS head_draw, now() IS NOT NULL AS ok FROM draws_${tag} ORDER BY n;`,
    };
    const replayed = await runToEnd({ project_tree: tree, head_path: "test/q.sql" });
    const hit = await runToEnd({ project_tree: tree, head_path: "test/q.sql" });
    expect(replayed.snapshot?.hit).toBe(false);
    expect(hit.snapshot?.hit).toBe(true);
    expect(replayed.result?.sets[0]?.rows).toHaveLength(5);
    expect(hit.result?.sets).toEqual(replayed.result?.sets);
  });
});
