import { describe, expect, it } from "vitest";
import {
  DEFAULT_PLANNER_LIMITS,
  PlannerError,
  planJob,
  plannerErrorStatus,
  validateTree,
} from "../../src/planner/index.ts";
import { expectPlannerError } from "./helpers.ts";

describe("limits", () => {
  it("has its defaults in one frozen constant", () => {
    expect(DEFAULT_PLANNER_LIMITS).toEqual({
      maxFiles: 10_000,
      maxPathBytes: 512,
      maxDepth: 16,
      maxFileBytes: 16 * 1024 * 1024,
      maxTotalBytes: 64 * 1024 * 1024,
    });
    expect(Object.isFrozen(DEFAULT_PLANNER_LIMITS)).toBe(true);
  });

  it("too_many_files names the first path over the limit (413)", async () => {
    const tree = { "init/1.sql": "a", "init/2.sql": "b", "init/3.sql": "c" };
    const error = await expectPlannerError(
      () => validateTree(tree, { maxFiles: 2 }),
      "too_many_files",
      "init/3.sql",
    );
    expect(error.status).toBe(413);
    await expectPlannerError(
      () => planJob({ tree, headPath: "init/1.sql", limits: { maxFiles: 2 } }),
      "too_many_files",
      "init/3.sql",
    );
    expect(validateTree(tree, { maxFiles: 3 }).entries.size).toBe(3);
  });

  it("too_many_files at the default limit", async () => {
    const tree: Record<string, string> = {};
    for (let i = 0; i <= DEFAULT_PLANNER_LIMITS.maxFiles; i++) tree[`seed/${i}.sql`] = "";
    await expectPlannerError(() => validateTree(tree), "too_many_files", "seed/9999.sql");
  });

  it("path_too_long counts UTF-8 bytes of the NFC path", async () => {
    const long = `seed/${"é".repeat(10)}.sql`; // 5 + 20 + 4 = 29 bytes, 19 UTF-16 units
    const error = await expectPlannerError(
      () => validateTree({ [long]: "x" }, { maxPathBytes: 28 }),
      "path_too_long",
      long,
    );
    expect(error.status).toBe(422);
    expect(validateTree({ [long]: "x" }, { maxPathBytes: 29 }).entries.size).toBe(1);
    const defaultLong = `seed/${"x".repeat(DEFAULT_PLANNER_LIMITS.maxPathBytes)}.sql`;
    await expectPlannerError(
      () => validateTree({ [defaultLong]: "x" }),
      "path_too_long",
      defaultLong,
    );
  });

  it("path_too_deep counts segments", async () => {
    const deep = "a/b/c/d.sql";
    await expectPlannerError(
      () => validateTree({ [deep]: "x" }, { maxDepth: 3 }),
      "path_too_deep",
      deep,
    );
    expect(validateTree({ [deep]: "x" }, { maxDepth: 4 }).entries.size).toBe(1);
    const defaultDeep = `${"d/".repeat(DEFAULT_PLANNER_LIMITS.maxDepth)}x.sql`;
    await expectPlannerError(
      () => validateTree({ [defaultDeep]: "x" }),
      "path_too_deep",
      defaultDeep,
    );
  });

  it("file_too_large counts UTF-8 bytes as sent (413)", async () => {
    const tree = { "seed/1.sql": "éé" }; // 4 bytes
    const error = await expectPlannerError(
      () => validateTree(tree, { maxFileBytes: 3 }),
      "file_too_large",
      "seed/1.sql",
    );
    expect(error.status).toBe(413);
    await expectPlannerError(
      () => planJob({ tree, headPath: "seed/1.sql", limits: { maxFileBytes: 3 } }),
      "file_too_large",
      "seed/1.sql",
    );
    expect(validateTree(tree, { maxFileBytes: 4 }).inlineBytes).toBe(4);
  });

  it("project_too_large names the file that crosses the limit (413)", async () => {
    const tree = { "init/1.sql": "aaaa", "init/2.sql": "bbbb", "init/3.sql": "cc" };
    const error = await expectPlannerError(
      () => validateTree(tree, { maxTotalBytes: 9 }),
      "project_too_large",
      "init/3.sql",
    );
    expect(error.status).toBe(413);
    await expectPlannerError(
      () => planJob({ tree, headPath: "init/1.sql", limits: { maxTotalBytes: 9 } }),
      "project_too_large",
      "init/3.sql",
    );
    expect(validateTree(tree, { maxTotalBytes: 10 }).inlineBytes).toBe(10);
  });

  it("checks the size of etag files once they are resolved", async () => {
    const text = "x".repeat(10);
    const etag = `sha256:${await sha(text)}`;
    await expectPlannerError(
      () =>
        planJob({
          tree: { "seed/1.sql": { etag } },
          headPath: "seed/1.sql",
          limits: { maxFileBytes: 9 },
          resolveEtag: async () => text,
        }),
      "file_too_large",
      "seed/1.sql",
    );
  });

  it("rejects a nonsensical override", () => {
    expect(() => validateTree({ "a.sql": "" }, { maxFiles: 0 })).toThrow(RangeError);
    expect(() => validateTree({ "a.sql": "" }, { maxDepth: 1.5 })).toThrow(RangeError);
  });

  it("maps size limits to 413 and the rest to 422", () => {
    expect(plannerErrorStatus("project_too_large")).toBe(413);
    expect(plannerErrorStatus("invalid_path")).toBe(422);
    const error = new PlannerError("file_too_large", "a.sql", "a.sql too big");
    expect(error.details).toEqual({ path: "a.sql" });
  });
});

async function sha(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
