// The planner runs unchanged in Node 22 (infra and tools may plan too): the same known-answer
// vectors as inside workerd (test/planner/hash-vectors.unit.test.ts).
import { describe, expect, it } from "vitest";
import { planJob, sha256Hex } from "../../src/planner/index.ts";

describe("planner in Node", () => {
  it("gives the same hashes as in workerd", async () => {
    const plan = await planJob({
      tree: {
        "init/1.sql": "create table t (a int);\r\n",
        "seed/2_x.sql": "\uFEFFinsert into t values (2);\n",
        "seed/10_y.sql": "insert into t values (10);\n",
        "test/q.sql": "select * from t;\n",
      },
      headPath: "test/q.sql",
    });
    expect(plan.h0).toBe("1fdc1bf94efe5fc49ef874300e669c8ce0707c999673fe60af3cac2a4552d248");
    expect(plan.tailHash).toBe("363093579080774258e013f88a8c9227303a112a5fa6a81e04dcab6d41f5ca0f");
    expect(await sha256Hex("abc")).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
  });
});
