// Each step and the head start in a fresh session in the default database: a `\c` or a `SET` in
// one step does not leak into the next, whether the tail was replayed or came from a layer.
import { describe, expect, it } from "vitest";
import { runToEnd } from "./helpers.ts";

describe("step sessions", () => {
  it("a \\c and a SET in a tail step do not carry into the head, on a miss or a hit", async () => {
    const db = `other_${crypto.randomUUID().slice(0, 8)}`;
    const tree = {
      "init/01_db.sql": `CREATE DATABASE ${db};\n\\c ${db}\nCREATE TABLE marker (x int);\nSET search_path = nowhere;\n`,
      "test/where.sql":
        "SELECT current_database() AS db, current_setting('search_path') AS path, current_setting('TimeZone') AS tz;",
    };
    const miss = await runToEnd({ project_tree: tree, head_path: "test/where.sql" });
    expect(miss.error).toBeNull();
    expect(miss.snapshot?.hit).toBe(false);
    expect(miss.result?.sets[0]?.rows).toEqual([["postgres", '"$user", public', "UTC"]]);

    const hit = await runToEnd({ project_tree: tree, head_path: "test/where.sql" });
    expect(hit.snapshot?.hit).toBe(true);
    expect(hit.result?.sets).toEqual(miss.result?.sets);
  });
});
