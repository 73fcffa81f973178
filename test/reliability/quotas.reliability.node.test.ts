// Database quotas at the job level (issue 9 item 2), end to end through `wrangler dev`: a head
// whose recursive CTE spills past `temp_file_limit` (256 MB), and a tail step that writes a table
// past the instance's data-directory quota (lowered here to 96 MiB so the test writes little).
// Both must fail the job with `quota_exceeded` naming the limit, never a 5xx, `head_error` or
// `tail_error`; env-manager's own tests (quotas.node.test.ts) cross them without a job.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, type ReliabilityStack, startReliabilityStack, waitEnded } from "./stack.ts";

const MAX_DATA_BYTES = 96 * 1024 * 1024;

let stack: ReliabilityStack;
beforeAll(async () => {
  stack = await startReliabilityStack({ envManager: { quota: { maxDataBytes: MAX_DATA_BYTES } } });
});
afterAll(async () => {
  await stack?.close();
});

async function run(name: string, tree: Record<string, string>, head: string) {
  const user = `quota-${name}-${Date.now()}`;
  const res = await api(stack.url, "/v1/jobs", {
    body: {
      request_id: `${user}-r`,
      user_id: user,
      project_tree: tree,
      head_path: head,
      timeout_ms: 300_000,
    },
  });
  expect(res.status).toBe(202);
  const { job_id } = (await res.json()) as { job_id: string };
  return waitEnded(stack.url, job_id, user, 400_000);
}

describe("database quotas in a job", () => {
  it("a head spilling past temp_file_limit fails with quota_exceeded (temp_file_limit)", async () => {
    const view = await run(
      "temp",
      {
        "init/01.sql": "CREATE TABLE t (n int);",
        // The recursive CTE's working table spills to temp files once past work_mem.
        "test/spill.sql":
          "WITH RECURSIVE r(n, pad) AS (SELECT 1, repeat('x', 500) UNION ALL SELECT n + 1, pad FROM r) SELECT count(*) FROM r;",
      },
      "test/spill.sql",
    );
    expect(view.status).toBe("failed");
    expect(view.error).toMatchObject({ code: "quota_exceeded", limit: "temp_file_limit" });
    expect(view.error?.message).toMatch(/temp/i);
  });

  it("a tail step writing past the data-directory quota fails with quota_exceeded (max_data_bytes)", async () => {
    const view = await run(
      "data",
      {
        // 200 MB of rows: the watchdog ends the session once the directory passes 96 MiB.
        "init/01.sql":
          "CREATE TABLE big AS SELECT g, repeat(md5(g::text), 32) AS pad FROM generate_series(1, 200000) g;",
        "test/q.sql": "SELECT count(*) FROM big;",
      },
      "test/q.sql",
    );
    expect(view.status).toBe("failed");
    expect(view.error).toMatchObject({ code: "quota_exceeded", limit: "max_data_bytes" });
    expect(view.error?.message).toContain(`of ${MAX_DATA_BYTES} bytes`);
  });
});
