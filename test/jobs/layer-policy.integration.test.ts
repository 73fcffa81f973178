// A layer after every tail step by default: editing step k of a tail reuses steps 1..k-1. With the
// manifest's `"layers": "stage-ends"` only stage ends and the tail's last two steps get one, so the
// same edit replays more. Every published layer is reported with the bytes it added.
import { describe, expect, it } from "vitest";
import { runToEnd } from "./helpers.ts";

function chain(tag: string, manifest?: object): Record<string, string> {
  const t = `items_${tag}`;
  return {
    ...(manifest ? { "sql-runner.json": JSON.stringify(manifest) } : {}),
    "init/01_schema.sql": `CREATE TABLE ${t} (id int PRIMARY KEY, name text NOT NULL);`,
    "seed/01_a.sql": `INSERT INTO ${t} VALUES (1, 'a');`,
    "seed/02_b.sql": `INSERT INTO ${t} VALUES (2, 'b');`,
    "seed/03_c.sql": `INSERT INTO ${t} VALUES (3, 'c');`,
    "seed/04_d.sql": `INSERT INTO ${t} VALUES (4, 'd');`,
    "test/all.sql": `SELECT id, name FROM ${t} ORDER BY id;`,
  };
}

const tag = () => crypto.randomUUID().slice(0, 8).replace(/-/g, "_");

describe("layer policy", () => {
  it("every step by default: editing step 3 of 5 reuses steps 1 and 2", async () => {
    const tree = chain(tag());
    const first = await runToEnd({ project_tree: tree, head_path: "test/all.sql" });
    expect(first.error).toBeNull();
    expect(first.snapshot).toMatchObject({ replayed_steps: 5, reused_steps: 0 });
    const edited = { ...tree, "seed/02_b.sql": tree["seed/02_b.sql"]!.replace("'b'", "'B'") };
    const second = await runToEnd({ project_tree: edited, head_path: "test/all.sql" });
    expect(second.error).toBeNull();
    expect(second.snapshot).toMatchObject({ hit: false, reused_steps: 2, replayed_steps: 3 });
    expect(second.result?.sets[0]?.rows).toEqual([
      ["1", "a"],
      ["2", "B"],
      ["3", "c"],
      ["4", "d"],
    ]);
  });

  it('"stage-ends" keeps fewer layers: the same edit replays from the init stage\'s end', async () => {
    const tree = chain(tag(), { layers: "stage-ends" });
    const first = await runToEnd({ project_tree: tree, head_path: "test/all.sql" });
    expect(first.error).toBeNull();
    const edited = { ...tree, "seed/02_b.sql": tree["seed/02_b.sql"]!.replace("'b'", "'B'") };
    const second = await runToEnd({ project_tree: edited, head_path: "test/all.sql" });
    expect(second.error).toBeNull();
    // Layers after init/01 (stage end), seed/03 (the step before the last) and seed/04 only.
    expect(second.snapshot).toMatchObject({ hit: false, reused_steps: 1, replayed_steps: 4 });
  });
});
