// Idempotent create under concurrency at the volume issue 9 measured it (11 of 230 POSTs answered
// 500 then): 23 rounds of 10 parallel identical creates (each round one job: every answer 202,
// exactly one `created: true`), and 23 rounds of 10 parallel different bodies under one
// request_id (one 202, nine 409 `idempotency_conflict`). Long-mode jobs: nothing runs, so the
// rounds measure the create path alone. test/limits/concurrent-create.unit.test.ts is one round.
import { describe, expect, it } from "vitest";
import { call, errorOf, uid } from "../api/helpers.ts";

const ROUNDS = 23;
const PARALLEL = 10;

function longJob(tag: string) {
  const t = `c_${tag.replaceAll("-", "_")}`;
  return {
    request_id: uid("req"),
    user_id: uid("user"),
    mode: "long",
    project_tree: {
      "init/01.sql": `CREATE TABLE ${t} (n int); -- ${uid()}`,
      "test/q.sql": `SELECT * FROM ${t};`,
    },
    head_path: "test/q.sql",
  };
}

describe("concurrent creates, 23 rounds", () => {
  it(`${ROUNDS} x ${PARALLEL} identical creates: one job per round, no 5xx`, async () => {
    const statuses: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const body = longJob(uid("i"));
      const answers = await Promise.all(
        Array.from({ length: PARALLEL }, () => call("/v1/jobs", { body })),
      );
      statuses.push(...answers.map((a) => a.status));
      const jsons = await Promise.all(
        answers.map((a) => a.json<{ job_id: string; created: boolean }>()),
      );
      expect(new Set(jsons.map((j) => j.job_id)).size).toBe(1);
      expect(jsons.filter((j) => j.created)).toHaveLength(1);
    }
    expect(statuses).toEqual(Array(ROUNDS * PARALLEL).fill(202));
  });

  it(`${ROUNDS} x ${PARALLEL} different bodies under one key: one 202, the others 409`, async () => {
    for (let r = 0; r < ROUNDS; r++) {
      const base = longJob(uid("d"));
      const answers = await Promise.all(
        Array.from({ length: PARALLEL }, (_, i) =>
          call("/v1/jobs", { body: { ...base, variables: { which: `v${i}` } } }),
        ),
      );
      const sorted = answers.map((a) => a.status).sort();
      expect(sorted).toEqual([202, ...Array(PARALLEL - 1).fill(409)]);
      for (const a of answers.filter((x) => x.status === 409)) {
        expect((await errorOf(a)).code).toBe("idempotency_conflict");
      }
    }
  });
});
