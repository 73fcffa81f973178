// Assembling a long job with numbered parts (no platform needed: nothing runs until `run`).
import { describe, expect, it } from "vitest";
import { call, createJob, errorOf, uid } from "./helpers.ts";

async function longJob() {
  const user = uid("user");
  const jobId = await createJob({ request_id: uid("req"), user_id: user, mode: "long" });
  const append = (part: number, project_tree: Record<string, string>) =>
    call(`/v1/jobs/${jobId}/append`, { body: { part, project_tree }, user });
  return { user, jobId, append };
}

describe("POST /v1/jobs/{id}/append", () => {
  it("stores numbered parts; a retried part is harmless", async () => {
    const { user, jobId, append } = await longJob();
    expect((await append(1, { "init/a.sql": "CREATE TABLE a (x int);" })).status).toBe(200);
    expect((await append(2, { "seed/b.sql": "INSERT INTO a VALUES (1);" })).status).toBe(200);
    const retry = await append(2, { "seed/b.sql": "INSERT INTO a VALUES (1);" });
    expect(retry.status).toBe(200);
    expect((await retry.json<{ duplicate: boolean }>()).duplicate).toBe(true);
    const view = await (await call(`/v1/jobs/${jobId}`, { user })).json<{
      status: string;
      parts: number[];
      file_count: number;
    }>();
    expect(view.status).toBe("pending");
    expect(view.parts).toEqual([1, 2]);
    expect(view.file_count).toBe(2);
  });

  it("refuses a part number reused with other files (409 part_conflict)", async () => {
    const { append } = await longJob();
    await append(1, { "init/a.sql": "SELECT 1;" });
    const res = await append(1, { "init/a.sql": "SELECT 2;" });
    expect(res.status).toBe(409);
    expect((await errorOf(res)).code).toBe("part_conflict");
  });

  it("refuses a path sent again with other content (409 content_conflict)", async () => {
    const { append } = await longJob();
    await append(1, { "init/a.sql": "SELECT 1;" });
    expect((await append(2, { "init/a.sql": "SELECT 1;" })).status).toBe(200);
    const res = await append(3, { "init/a.sql": "SELECT 2;" });
    expect(res.status).toBe(409);
    const err = await errorOf(res);
    expect(err.code).toBe("content_conflict");
    expect(err.path).toBe("init/a.sql");
  });

  it("checks path rules per part (422 invalid_path naming the path)", async () => {
    const { append } = await longJob();
    const res = await append(1, { "init\\a.sql": "SELECT 1;" });
    expect(res.status).toBe(422);
    const err = await errorOf(res);
    expect(err.code).toBe("invalid_path");
    expect(err.message).toContain("init\\\\a.sql");
  });

  it("refuses append on a short job (409 invalid_state)", async () => {
    const user = uid("user");
    const jobId = await createJob({
      request_id: uid("req"),
      user_id: user,
      project_tree: { "init/a.sql": "SELECT 1;" },
      head_path: "init/a.sql",
    });
    const res = await call(`/v1/jobs/${jobId}/append`, {
      body: { part: 1, project_tree: { "seed/b.sql": "SELECT 1;" } },
      user,
    });
    expect(res.status).toBe(409);
    expect((await errorOf(res)).code).toBe("invalid_state");
  });
});

describe("POST /v1/jobs/{id}/run", () => {
  it("needs a head (400) that is in the tree (422)", async () => {
    const { user, jobId, append } = await longJob();
    await append(1, { "init/a.sql": "SELECT 1;" });
    const none = await call(`/v1/jobs/${jobId}/run`, { body: {}, user });
    expect(none.status).toBe(400);
    expect((await errorOf(none)).field).toBe("head_path");
    const unknown = await call(`/v1/jobs/${jobId}/run`, {
      body: { head_path: "test/x.sql" },
      user,
    });
    expect(unknown.status).toBe(422);
    expect((await errorOf(unknown)).code).toBe("unknown_head");
  });

  it("starts once; a retried run is harmless and appends are then refused", async () => {
    const { user, jobId, append } = await longJob();
    await append(1, { "init/a.sql": "SELECT 1;" });
    const first = await call(`/v1/jobs/${jobId}/run`, { body: { head_path: "init/a.sql" }, user });
    expect(first.status).toBe(202);
    const again = await call(`/v1/jobs/${jobId}/run`, { body: { head_path: "init/a.sql" }, user });
    expect(again.status).toBe(202);
    const other = await call(`/v1/jobs/${jobId}/run`, { body: { head_path: "init/b.sql" }, user });
    expect(other.status).toBe(409);
    const late = await append(2, { "seed/c.sql": "SELECT 1;" });
    expect(late.status).toBe(409);
    expect((await errorOf(late)).code).toBe("invalid_state");
  });
});
