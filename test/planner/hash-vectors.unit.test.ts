// Known-answer vectors pinning hash format 1. They were computed once and checked against an
// independent implementation of docs/project-format.md (the Python snippet there). If one of
// these fails, the cache keys of every stored layer would change: bump HASH_FORMAT_VERSION on
// purpose instead of editing the expected values.
import { describe, expect, it } from "vitest";
import { HASH_FORMAT_VERSION, planJob, sha256Hex } from "../../src/planner/index.ts";
import { scanIncludes } from "./helpers.ts";

const project = {
  "init/1.sql": "create table t (a int);\n",
  "seed/2_x.sql": "insert into t values (2);\n",
  "seed/10_y.sql": "insert into t values (10);\n",
  "test/q.sql": "select * from t;\n",
};

describe("known-answer vectors (hash format 1)", () => {
  it("is format 1", () => {
    expect(HASH_FORMAT_VERSION).toBe(1);
  });

  it("sha256Hex of bytes and of text", async () => {
    expect(await sha256Hex("")).toBe(
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
    expect(await sha256Hex(new TextEncoder().encode("abc"))).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
  });

  it("default h0 and a three-step chain", async () => {
    const plan = await planJob({ tree: project, headPath: "test/q.sql" });
    expect(plan.h0).toBe("1fdc1bf94efe5fc49ef874300e669c8ce0707c999673fe60af3cac2a4552d248");
    expect(plan.tail.map((s) => [s.path, s.digest, s.hash])).toEqual([
      [
        "init/1.sql",
        "afaa654abbefaeb6571dc382a4dfd91e4252504f08c3fd3f67378597040a45a0",
        "ceb0cf29198a831389f0cf921fc82ff73d515c4eb205cc131ccd60fc36808bfd",
      ],
      [
        "seed/2_x.sql",
        "92d1756dcb373016bebd65377651a76bce24d4f6cfc7cbf92332ea10cc0b0552",
        "a1797eff05ce388ee28f47f416b583392611a004a0f823fd6f6938a0848c28a2",
      ],
      [
        "seed/10_y.sql",
        "230c99c44da0d5520b2db1881508166b8855c88d99205a25e5ad80859583f583",
        "363093579080774258e013f88a8c9227303a112a5fa6a81e04dcab6d41f5ca0f",
      ],
    ]);
    expect(plan.tailHash).toBe("363093579080774258e013f88a8c9227303a112a5fa6a81e04dcab6d41f5ca0f");
  });

  it("the same vectors with a BOM and CRLF line endings", async () => {
    const crlf = Object.fromEntries(
      Object.entries(project).map(([path, text]) => [path, `\uFEFF${text.replace(/\n/g, "\r\n")}`]),
    );
    const plan = await planJob({ tree: crlf, headPath: "test/q.sql" });
    expect(plan.tailHash).toBe("363093579080774258e013f88a8c9227303a112a5fa6a81e04dcab6d41f5ca0f");
  });

  it("engine, extensions, a setting and an include", async () => {
    const plan = await planJob({
      tree: {
        "sql-runner.json": JSON.stringify({
          engine: "17",
          extensions: { pg_trgm: "1.6" },
          settings: { search_path: "app" },
        }),
        "init/1.sql": "\\i lib/x.sql\n",
        "lib/x.sql": "select 'é';\n",
        "test/q.sql": "select 1;",
      },
      headPath: "test/q.sql",
      scanIncludes,
    });
    expect(plan.h0).toBe("a89295031f588b6d3ad6c345aac95314d88c21d75d000aca3c068bf50874f523");
    expect(plan.tail.map((s) => [s.path, s.digest, s.hash, s.includes])).toEqual([
      [
        "init/1.sql",
        "8de42e6d36326fbb156f73c014df7795b8474fbde70be93241e72aa42f52d40d",
        "4737ea215874cd65845abf7aa98433ee7f1e0d3d623728826d31b781e0cecd40",
        ["lib/x.sql"],
      ],
    ]);
  });
});
