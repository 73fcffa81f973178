// Idempotent create under concurrency, through the worker: parallel identical creates all answer
// the one job (exactly one `created: true`, no 500); parallel different bodies under one
// request_id: one wins, every other answers 409 `idempotency_conflict`.
import { describe, expect, it } from "vitest";
import { call, errorOf, shortJob, uid } from "../api/helpers.ts";

/** A short job with contents no earlier test sent (the content store is then asked over I/O). */
function freshJob() {
  const tag = uid("t").replaceAll("-", "_");
  return shortJob({
    project_tree: {
      "init/01.sql": `CREATE TABLE ${tag} (n int); -- ${uid()}`,
      "test/q.sql": `SELECT * FROM ${tag};`,
    },
    head_path: "test/q.sql",
  });
}

describe("concurrent creates", () => {
  it("10 parallel identical creates: one job, every answer 202", async () => {
    const body = freshJob();
    const answers = await Promise.all(Array.from({ length: 10 }, () => call("/v1/jobs", { body })));
    expect(answers.map((r) => r.status)).toEqual(Array(10).fill(202));
    const jsons = await Promise.all(
      answers.map((r) => r.json<{ job_id: string; created: boolean }>()),
    );
    expect(new Set(jsons.map((j) => j.job_id)).size).toBe(1);
    expect(jsons.filter((j) => j.created)).toHaveLength(1);
  });

  it("parallel different bodies under one request_id: one 202, the others 409", async () => {
    const base = freshJob();
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        call("/v1/jobs", { body: { ...base, variables: { which: `v${i}-${uid()}` } } }),
      ),
    );
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses).toEqual([202, 409, 409, 409, 409, 409]);
    for (const res of answers.filter((r) => r.status === 409)) {
      expect((await errorOf(res)).code).toBe("idempotency_conflict");
    }
  });
});
