import { describe, expect, it } from "vitest";
import { planJob, sha256Hex } from "../../src/planner/index.ts";
import { expectPlannerError } from "./helpers.ts";

const store = async (texts: string[]) => {
  const byEtag = new Map<string, string>();
  for (const text of texts) byEtag.set(`sha256:${await sha256Hex(text)}`, text);
  return byEtag;
};

describe("etag files", () => {
  it("resolves etags and hashes them exactly like inline content", async () => {
    const step = "create table t ();\n";
    const byEtag = await store([step]);
    const etag = [...byEtag.keys()][0]!;
    const calls: string[] = [];
    const plan = await planJob({
      tree: { "init/1.sql": { etag }, "init/2.sql": { etag }, "test/t.sql": "select 1;" },
      headPath: "test/t.sql",
      resolveEtag: async (e) => {
        calls.push(e);
        return byEtag.get(e);
      },
    });
    expect(calls).toEqual([etag]);
    expect(plan.files.get("init/2.sql")).toBe(step);
    const inline = await planJob({
      tree: { "init/1.sql": step, "init/2.sql": { content: step }, "test/t.sql": "select 1;" },
      headPath: "test/t.sql",
    });
    expect(plan.tailHash).toBe(inline.tailHash);
  });

  it("normalizes etag content like any other (the etag is the SHA-256 of the stored bytes)", async () => {
    const raw = "\uFEFFselect 1;\r\n";
    const byEtag = await store([raw]);
    const plan = await planJob({
      tree: { "init/1.sql": { etag: [...byEtag.keys()][0]! } },
      headPath: "init/1.sql",
      resolveEtag: async (e) => byEtag.get(e),
    });
    expect(plan.head.content).toBe("select 1;\n");
  });

  it("unknown_etag names the path, with or without a resolver", async () => {
    const etag = `sha256:${"0".repeat(64)}`;
    const tree = { "init/1.sql": "x", "seed/1.sql": { etag } };
    const error = await expectPlannerError(
      () => planJob({ tree, headPath: "init/1.sql", resolveEtag: async () => undefined }),
      "unknown_etag",
      "seed/1.sql",
    );
    expect(error.message).toContain(etag);
    expect(error.status).toBe(422);
    await expectPlannerError(
      () => planJob({ tree, headPath: "init/1.sql" }),
      "unknown_etag",
      "seed/1.sql",
    );
  });

  it("etag_mismatch when the store answers with content of another hash", async () => {
    const etag = `sha256:${await sha256Hex("select 1;")}`;
    await expectPlannerError(
      () =>
        planJob({
          tree: { "init/1.sql": { etag } },
          headPath: "init/1.sql",
          resolveEtag: async () => "select 2;",
        }),
      "etag_mismatch",
      "init/1.sql",
    );
  });

  it("uses the caller's textDigest instead of hashing again, with the same plan", async () => {
    const step = "create table t ();\n";
    const byEtag = await store([step]);
    const etag = [...byEtag.keys()][0]!;
    const tree = {
      "init/1.sql": { etag },
      "init/2.sql": "create table u ();\n",
      "test/t.sql": "select 1;",
    };
    const hashed: string[] = [];
    const textDigest = async (text: string) => {
      hashed.push(text);
      return sha256Hex(text);
    };
    const resolveEtag = async (e: string) => byEtag.get(e);
    const withDigest = await planJob({ tree, headPath: "test/t.sql", resolveEtag, textDigest });
    const without = await planJob({ tree, headPath: "test/t.sql", resolveEtag });
    expect(hashed.sort()).toEqual([step, "create table u ();\n", "select 1;"].sort());
    expect(withDigest.tail).toEqual(without.tail);
    expect(withDigest.tailHash).toBe(without.tailHash);
  });

  it("etag_mismatch also when the hash comes from the caller's textDigest", async () => {
    const etag = `sha256:${await sha256Hex("select 1;")}`;
    await expectPlannerError(
      () =>
        planJob({
          tree: { "init/1.sql": { etag } },
          headPath: "init/1.sql",
          resolveEtag: async () => "select 2;",
          textDigest: (text) => sha256Hex(text),
        }),
      "etag_mismatch",
      "init/1.sql",
    );
  });
});
