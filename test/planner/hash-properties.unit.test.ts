import { describe, expect, it } from "vitest";
import { planJob } from "../../src/planner/index.ts";

const tree: Record<string, string> = {
  "init/1_schema.sql": "create table t (id int primary key, v text);",
  "init/2_index.sql": "create index on t (v);",
  "seed/1_rows.sql": "insert into t values (1, 'a');",
  "seed/2_more.sql": "insert into t values (2, 'b');",
  "test/a.sql": "select * from t where id = 1;",
  "test/b.sql": "select count(*) from t;",
};
const hashes = async (t: Record<string, string>, headPath = "test/a.sql") => {
  const plan = await planJob({ tree: t, headPath });
  return { h0: plan.h0, steps: plan.tail.map((s) => s.hash), tail: plan.tailHash };
};
const withManifest = (manifest: object) => ({
  ...tree,
  "sql-runner.json": JSON.stringify(manifest),
});

describe("hash chain properties", () => {
  it("the same tree in another key order gives the same hashes", async () => {
    const reversed = Object.fromEntries(Object.entries(tree).reverse());
    expect(await hashes(reversed)).toEqual(await hashes(tree));
    expect(await hashes(Object.fromEntries(Object.entries(tree).sort()))).toEqual(
      await hashes(tree),
    );
  });

  it("a Map and an object with the same files give the same plan hashes", async () => {
    const fromMap = await planJob({ tree: new Map(Object.entries(tree)), headPath: "test/a.sql" });
    const fromObject = await planJob({ tree, headPath: "test/a.sql" });
    expect(fromMap.tail).toEqual(fromObject.tail);
  });

  it("every step has its own hash and the tail hash is the last one", async () => {
    const { steps, tail } = await hashes(tree);
    expect(new Set(steps).size).toBe(4);
    expect(tail).toBe(steps[3]);
    for (const hash of steps) expect(hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("changing step k changes h_k..h_n and leaves h_1..h_{k-1} alone", async () => {
    const before = await hashes(tree);
    const paths = ["init/1_schema.sql", "init/2_index.sql", "seed/1_rows.sql", "seed/2_more.sql"];
    for (const [k, path] of paths.entries()) {
      const after = await hashes({ ...tree, [path]: `${tree[path]} -- edited` });
      expect(after.h0).toBe(before.h0);
      expect(after.steps.slice(0, k)).toEqual(before.steps.slice(0, k));
      for (let i = k; i < paths.length; i++) expect(after.steps[i]).not.toBe(before.steps[i]);
    }
  });

  it("a head's tail is a prefix of the longer chain: shared prefixes share hashes", async () => {
    const seedHead = await hashes(tree, "seed/2_more.sql");
    const testHead = await hashes(tree);
    expect(seedHead.steps).toEqual(testHead.steps.slice(0, 3));
  });

  it("renaming a file changes the hash (same content, same order)", async () => {
    const before = await hashes(tree);
    const { "seed/1_rows.sql": rows, ...rest } = tree;
    const after = await hashes({ ...rest, "seed/1_rows_renamed.sql": rows! });
    expect(after.steps.slice(0, 2)).toEqual(before.steps.slice(0, 2));
    expect(after.steps[2]).not.toBe(before.steps[2]);
    expect(after.tail).not.toBe(before.tail);
  });

  it("moving a file to another folder changes the hash", async () => {
    const before = await hashes(tree);
    const { "seed/1_rows.sql": rows, ...rest } = tree;
    const after = await hashes({ ...rest, "seed/sub/1_rows.sql": rows! });
    expect(after.tail).not.toBe(before.tail);
  });

  it("a different engine version changes every hash", async () => {
    const base = await hashes(withManifest({}));
    const other = await hashes(withManifest({ engine: "17" }));
    expect(other.h0).not.toBe(base.h0);
    for (const [i, hash] of other.steps.entries()) expect(hash).not.toBe(base.steps[i]);
  });

  it("a different setting, a new setting or an extension changes every hash", async () => {
    const base = await hashes(withManifest({}));
    for (const manifest of [
      { settings: { TimeZone: "Europe/Paris" } },
      { settings: { search_path: "app" } },
      { extensions: { pg_trgm: "1.6" } },
      { extensions: { pg_trgm: "1.5" } },
    ]) {
      const other = await hashes(withManifest(manifest));
      expect(other.h0).not.toBe(base.h0);
      for (const [i, hash] of other.steps.entries()) expect(hash).not.toBe(base.steps[i]);
    }
  });

  it("restating a default setting or reformatting the manifest changes nothing", async () => {
    const base = await hashes(tree);
    expect(await hashes(withManifest({ settings: { timezone: "UTC" }, engine: "18" }))).toEqual(
      base,
    );
    const spaced = { ...tree, "sql-runner.json": '{\n  "stages": ["init", "seed"]\n}\n' };
    expect(await hashes(spaced)).toEqual(base);
  });

  it("editing one test/ file does not change another test/ head's tail hash", async () => {
    const before = await hashes(tree, "test/b.sql");
    const after = await hashes({ ...tree, "test/a.sql": "select 42;" }, "test/b.sql");
    expect(after).toEqual(before);
    const added = await hashes({ ...tree, "test/c.sql": "select 0;" }, "test/b.sql");
    expect(added).toEqual(before);
  });

  it("files outside the stages do not count unless included", async () => {
    const before = await hashes(tree);
    expect(await hashes({ ...tree, "docs/notes.md": "hello", "scratch.sql": "x" })).toEqual(before);
  });

  it("stage order is part of the chain", async () => {
    const before = await hashes(tree);
    const swapped = await hashes(withManifest({ stages: ["seed", "init"] }));
    expect(swapped.h0).toBe(before.h0);
    expect(swapped.tail).not.toBe(before.tail);
  });
});
