// Which inline files of a create cross apart from the RPC to the job (src/limits/offload.ts): the
// largest first, small ones only when the big ones alone do not make room, and a tree that would
// not fit even with maxOffloadFiles of them stored apart is refused (413) before any is stored.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { AppError } from "../../src/errors.ts";
import { BODY_LIMITS } from "../../src/limits/limits.ts";
import { filesToOffload } from "../../src/limits/offload.ts";
import { errorOf, TOKEN, uid } from "../api/helpers.ts";

const text = (n: number) => "x".repeat(n);

describe("filesToOffload", () => {
  it("moves nothing from a tree that fits, and the largest files first from one that does not", () => {
    const tree = {
      "a.sql": text(50),
      "b.sql": text(30),
      "c.sql": text(20),
      "d.sql": { etag: "e" },
    };
    expect(filesToOffload(tree, 100, 10)).toEqual([]);
    expect(filesToOffload(tree, 60, 10)).toEqual(["a.sql"]);
    // Small files too, when the big ones alone leave it over the budget.
    expect(filesToOffload(tree, 15, 10)).toEqual(["a.sql", "b.sql", "c.sql"]);
  });

  it("orders files of one size by path, so the same tree always splits the same way", () => {
    const tree = { "z.sql": text(10), "m.sql": text(10), "a.sql": text(10) };
    expect(filesToOffload(tree, 15, 10)).toEqual(["a.sql", "m.sql"]);
  });

  it("refuses a tree that does not fit with maxFiles files moved, naming the limit", () => {
    const tree = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`f${i}.sql`, text(10)]));
    expect(filesToOffload(tree, 150, 5)).toHaveLength(5);
    let thrown: unknown;
    try {
      filesToOffload(tree, 149, 5);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(AppError);
    expect(thrown).toMatchObject({
      status: 413,
      code: "payload_too_large",
      details: { limit_name: "inline_content_chars", limit: 149 },
    });
    expect((thrown as Error).message).toContain("even with its 5 largest files stored apart");
  });
});

describe("a create of many small files over one RPC", () => {
  it("answers 413 payload_too_large before storing anything", async () => {
    // 10,000 files of 1,400 characters: 13.4 Mi characters, and the 500 largest moved leave 12.7.
    const tree: Record<string, string> = { "test/head.sql": "SELECT 1;" };
    for (let i = 0; i < 10_000 - 1; i++)
      tree[`init/${String(i).padStart(5, "0")}.sql`] = `-- ${i}\n${text(1400)}`;
    const res = await exports.default.fetch("http://sql-runner.test/v1/jobs", {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({
        request_id: uid("req"),
        user_id: uid("user"),
        project_tree: tree,
        head_path: "test/head.sql",
      }),
    });
    expect(res.status).toBe(413);
    const error = await errorOf(res);
    expect(error.code).toBe("payload_too_large");
    expect(error.message).toContain(`${BODY_LIMITS.maxOffloadFiles} largest files stored apart`);
    expect(error.message).toContain("PUT /v1/blobs");
  });
});
