// The upload-only-what-is-missing path on the real stack: blobs uploaded once, a job created with
// every file as `{ etag }` runs to the same rows as the inline tree; another user can neither see
// nor use the blobs; an unused blob is collected by the sweep after its grace (0 s in this
// project), one a live job names is kept.
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { runSweep } from "../../src/lifecycle/sweep-job.ts";
import { TOKEN } from "../api/helpers.ts";
import { call, project, runToEnd, uid } from "./helpers.ts";

async function digestOf(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return `sha256:${Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

async function put(digest: string, text: string, user: string): Promise<number> {
  const res = await exports.default.fetch(`http://sql-runner.test/v1/blobs/${digest}`, {
    method: "PUT",
    headers: { authorization: `Bearer ${TOKEN}`, "x-user-id": user },
    body: text,
  });
  await res.body?.cancel();
  return res.status;
}

async function missing(user: string, digests: string[]): Promise<string[]> {
  const res = await call("/v1/blobs/missing", { body: { digests }, user });
  expect(res.status).toBe(200);
  return (await res.json<{ missing: string[] }>()).missing;
}

/** The tree with every file named by its etag. */
async function byEtag(tree: Record<string, string>): Promise<Record<string, { etag: string }>> {
  const out: Record<string, { etag: string }> = {};
  for (const [path, text] of Object.entries(tree)) out[path] = { etag: await digestOf(text) };
  return out;
}

describe("blobs", () => {
  it("uploads what is missing, runs a job named by etags, and keeps other users out", async () => {
    const user = uid("user");
    const tree = project();
    const etags = await byEtag(tree);
    const digests = Object.values(etags).map((e) => e.etag);
    expect(await missing(user, digests)).toEqual(digests);
    for (const [path, text] of Object.entries(tree)) {
      expect(await put(etags[path]!.etag, text, user)).toBe(201);
    }
    expect(await missing(user, digests)).toEqual([]);

    const viaEtags = await runToEnd({
      user_id: user,
      project_tree: etags,
      head_path: "test/all.sql",
    });
    expect(viaEtags.error).toBeNull();
    expect(viaEtags.status).toBe("completed");
    expect(viaEtags.result?.sets[0]?.rows).toEqual([
      ["1", "apple", "1.20"],
      ["2", "pear", "0.80"],
      ["3", "plum", "2.50"],
    ]);
    const inline = await runToEnd({ user_id: user, project_tree: tree, head_path: "test/all.sql" });
    expect(inline.snapshot).toMatchObject({ hit: true, tail_hash: viaEtags.snapshot?.tail_hash });
    expect(inline.result?.sets).toEqual(viaEtags.result?.sets);

    const other = uid("other");
    expect(await missing(other, digests)).toEqual(digests);
    const refused = await call("/v1/jobs", {
      body: {
        request_id: uid("req"),
        user_id: other,
        project_tree: etags,
        head_path: "test/all.sql",
      },
    });
    expect(refused.status).toBe(422);
    expect((await refused.json<{ error: { code: string } }>()).error.code).toBe("unknown_etag");
  });

  it("collects an unused blob after its grace and keeps the ones a live job names", async () => {
    const user = uid("user");
    const tree = project();
    const etags = await byEtag(tree);
    for (const [path, text] of Object.entries(tree)) {
      expect(await put(etags[path]!.etag, text, user)).toBe(201);
    }
    const job = await runToEnd({ user_id: user, project_tree: etags, head_path: "test/count.sql" });
    expect(job.error).toBeNull();
    const unused = `-- never used ${uid()}\n`;
    const unusedDigest = await digestOf(unused);
    expect(await put(unusedDigest, unused, user)).toBe(201);

    const report = await runSweep(env);
    expect(report.files_deleted).toBeGreaterThanOrEqual(1);
    expect(await env.FILES.head(`sha256/${unusedDigest.slice(7)}`)).toBeNull();
    expect(await missing(user, [unusedDigest])).toEqual([unusedDigest]);
    const used = Object.values(etags).map((e) => e.etag);
    expect(await missing(user, used)).toEqual([]);
    for (const digest of used) {
      expect(await env.FILES.head(`sha256/${digest.slice(7)}`)).not.toBeNull();
    }
  });
});
