// `{ etag }` files: content a user already sent can be referred to by its SHA-256, by that user
// only (another user's etag answers like one nobody sent: docs/security.md, "Content by etag").
import { describe, expect, it } from "vitest";
import { call, errorOf, shortJob, uid } from "./helpers.ts";

async function etagOf(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return `sha256:${Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

describe("etag files", () => {
  it("resolve to content an earlier job of the same user sent", async () => {
    const user = uid("user");
    const schema = `CREATE TABLE e_${crypto.randomUUID().slice(0, 8)} (x int); -- ${uid()}`;
    const first = await call("/v1/jobs", {
      body: shortJob({
        user_id: user,
        project_tree: { "init/a.sql": schema, "test/q.sql": "SELECT 1;" },
        head_path: "test/q.sql",
      }),
    });
    expect(first.status).toBe(202);
    const second = await call("/v1/jobs", {
      body: shortJob({
        user_id: user,
        project_tree: { "init/a.sql": { etag: await etagOf(schema) }, "test/q.sql": "SELECT 2;" },
        head_path: "test/q.sql",
      }),
    });
    expect(second.status).toBe(202);
  });

  it("answer 422 unknown_etag to another user, as if nobody had sent the content", async () => {
    const schema = `CREATE TABLE e_${crypto.randomUUID().slice(0, 8)} (x int); -- ${uid()}`;
    const first = await call("/v1/jobs", {
      body: shortJob({
        project_tree: { "init/a.sql": schema, "test/q.sql": "SELECT 1;" },
        head_path: "test/q.sql",
      }),
    });
    expect(first.status).toBe(202);
    const other = await call("/v1/jobs", {
      body: shortJob({
        project_tree: { "init/a.sql": { etag: await etagOf(schema) }, "test/q.sql": "SELECT 2;" },
        head_path: "test/q.sql",
      }),
    });
    expect(other.status).toBe(422);
    const nobody = await call("/v1/jobs", {
      body: shortJob({
        project_tree: { "init/a.sql": { etag: await etagOf(uid()) }, "test/q.sql": "SELECT 2;" },
        head_path: "test/q.sql",
      }),
    });
    const [a, b] = [await errorOf(other), await errorOf(nobody)];
    expect(a.code).toBe("unknown_etag");
    // The same answer but for the etag asked about.
    const blank = (e: typeof a) => JSON.stringify(e).replaceAll(/sha256:[0-9a-f]{64}/g, "E");
    expect(blank(a)).toBe(blank(b));
  });

  it("answer 422 unknown_etag naming the path when nobody sent the content", async () => {
    const res = await call("/v1/jobs", {
      body: shortJob({
        project_tree: {
          "init/a.sql": { etag: await etagOf(uid("never-sent")) },
          "test/q.sql": "SELECT 1;",
        },
        head_path: "test/q.sql",
      }),
    });
    expect(res.status).toBe(422);
    const err = await errorOf(res);
    expect(err.code).toBe("unknown_etag");
    expect(err.path).toBe("init/a.sql");
  });
});
