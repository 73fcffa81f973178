// A result over one Worker -> Durable Object RPC (32 MiB) in total: a head of 5 sets of 7 MiB
// (35 MiB of values) completes, its view answers 200 with a bounded body, and every row reads back
// through `GET /v1/jobs/{id}/result` pages. The test holds one page at a time, never the result.
import { describe, expect, it } from "vitest";
import type { JobView, ResultPage } from "../../src/jobs/model.ts";
import { RESULT_LIMITS } from "../../src/limits/limits.ts";
import { call, uid } from "../api/helpers.ts";
import { waitDone } from "../jobs/helpers.ts";

const MiB = 1024 * 1024;
const SETS = 5;
const ROWS = 7;

describe("a result over 32 MiB", () => {
  it("completes with a bounded view and pages that give back all 35 MiB", async () => {
    const user = uid("user");
    const t = crypto.randomUUID().slice(0, 8);
    // Set s: 7 rows of 1 MiB of one letter (a, b, c, ...), under the 8 MiB cap of one set.
    const head = Array.from(
      { length: SETS },
      (_, s) => `SELECT i, repeat(chr(${97 + s}), ${MiB}) AS v FROM generate_series(1, ${ROWS}) i;`,
    ).join("\n");
    const res = await call("/v1/jobs", {
      body: {
        request_id: uid("req"),
        user_id: user,
        project_tree: { "init/01.sql": `CREATE TABLE big_${t} (i int);`, "test/big.sql": head },
        head_path: "test/big.sql",
        timeout_ms: 300_000,
      },
    });
    expect(res.status).toBe(202);
    const { job_id } = await res.json<{ job_id: string }>();
    await waitDone(job_id, user);

    const viewRes = await call(`/v1/jobs/${job_id}`, { user });
    expect(viewRes.status).toBe(200);
    const text = await viewRes.text();
    // The view carries at most the view budget of values (1 MiB), not the 35 MiB.
    expect(text.length).toBeLessThan(2 * MiB);
    const view = JSON.parse(text) as JobView;
    expect(view.status).toBe("completed");
    expect(view.result).toMatchObject({ truncated: false });
    expect(view.result!.stored_bytes).toBeGreaterThan(32 * MiB);
    expect(view.result!.sets.map((s) => [s.set_id, s.stored_rows, s.truncated])).toEqual(
      Array.from({ length: SETS }, (_, s) => [s, ROWS, false]),
    );

    let total = 0;
    let pages = 0;
    for (let s = 0; s < SETS; s++) {
      const letter = String.fromCharCode(97 + s);
      let after: number | null = 0;
      let row = 0;
      while (after !== null) {
        const r = await call(`/v1/jobs/${job_id}/result?set=${s}&after=${after}`, { user });
        expect(r.status).toBe(200);
        const p = await r.json<ResultPage>();
        expect(p.rows.length).toBeGreaterThan(0);
        // 4 MiB of values a page: 4 rows of 1 MiB and a few bytes would pass it, so at most 3.
        expect(p.rows.length).toBeLessThanOrEqual(
          Math.floor(RESULT_LIMITS.pageMaxBytes / (MiB + 1)),
        );
        for (const [i, v] of p.rows) {
          row++;
          expect(i).toBe(String(row));
          expect(v?.length).toBe(MiB);
          expect(v === letter.repeat(MiB)).toBe(true);
          total += (i?.length ?? 0) + MiB;
        }
        after = p.next_after;
        pages++;
      }
      expect(row).toBe(ROWS);
    }
    expect(total).toBe(view.result!.stored_bytes);
    expect(total).toBeGreaterThan(32 * MiB);
    expect(pages).toBeGreaterThanOrEqual(SETS * 3);
  });
});
