// Creates larger than one Worker -> Durable Object RPC (32 MiB): 33 and 60 MiB bodies are accepted,
// their largest files cross as etags (src/limits/offload.ts), every file is kept, and the same body
// again answers the same job (the split depends only on the body).
import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { JobObject } from "../../src/objects/job-object.ts";
import { call, TOKEN, uid } from "../api/helpers.ts";

const MiB = 1024 * 1024;

/** A short job whose tail holds `files` files of `mib` MiB each (distinct contents). */
function bigJob(files: number, mib: number) {
  const tree: Record<string, string> = { "test/head.sql": "SELECT count(*) FROM big_0;" };
  for (let i = 0; i < files; i++) {
    const row = `-- ${uid("row")} ${i}\n`;
    tree[`init/${i}.sql`] =
      `CREATE TABLE big_${i} (x text);\n${row.repeat(Math.ceil((mib * MiB) / row.length))}`;
  }
  return {
    request_id: uid("req"),
    user_id: uid("user"),
    project_tree: tree,
    head_path: "test/head.sql",
  };
}

function post(body: BodyInit): Promise<Response> {
  return exports.default.fetch("http://sql-runner.test/v1/jobs", {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    body,
  });
}

describe("bodies over one RPC", () => {
  it.each([
    [33, 3, 11],
    [60, 4, 15],
  ])("a %i MiB create (over one RPC) is accepted and keeps every file", async (_mib, n, each) => {
    const body = bigJob(n, each);
    const text = JSON.stringify(body);
    expect(text.length).toBeGreaterThan(32 * MiB);
    const res = await post(text);
    expect(res.status).toBe(202);
    const { job_id, created } = await res.json<{ job_id: string; created: boolean }>();
    expect(created).toBe(true);
    // The same body again is the same job: the split is a function of the body.
    const again = await post(text);
    expect(again.status).toBe(202);
    expect(await again.json()).toMatchObject({ job_id, created: false });
    const view = await call(`/v1/jobs/${job_id}`, { user: body.user_id });
    expect(view.status).toBe(200);
    const stub: DurableObjectStub<JobObject> = env.JOBS.get(env.JOBS.idFromName(job_id));
    const files = await runInDurableObject(stub, (obj) => obj.store.fileCount());
    expect(files).toBe(n + 1);
  });

  it("a create of 700 small files of two-byte characters (35 MB over the RPC) stores some apart", async () => {
    // Each file is under 64 Ki characters; inline they would take 35 MB of the 32 MiB RPC
    // (UTF-16 two bytes a character), which failed with 500 while only big files moved.
    const tree: Record<string, string> = { "test/head.sql": "SELECT 1;" };
    for (let i = 0; i < 700; i++)
      tree[`init/${String(i).padStart(3, "0")}.sql`] = `-- ${i} ${"ж".repeat(25 * 1024)}\n`;
    const body = {
      request_id: uid("req"),
      user_id: uid("user"),
      project_tree: tree,
      head_path: "test/head.sql",
    };
    const res = await post(JSON.stringify(body));
    expect(res.status).toBe(202);
    const { job_id } = await res.json<{ job_id: string }>();
    const stub: DurableObjectStub<JobObject> = env.JOBS.get(env.JOBS.idFromName(job_id));
    expect(await runInDurableObject(stub, (obj) => obj.store.fileCount())).toBe(701);
  });
});
