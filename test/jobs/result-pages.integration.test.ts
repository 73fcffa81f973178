// A job's result capped in total and read in pages, on the real stack: the view carries the first
// rows of each set and a link, `GET /v1/jobs/{id}/result` reads every stored row back in bounded
// pages, the job's total cap (lowered here through the object's test override) cuts the result with
// `truncated` at set and job level, counted in UTF-8 bytes, and the route's own errors.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ResultPage } from "../../src/jobs/model.ts";
import { RESULT_LIMITS } from "../../src/limits/limits.ts";
import type { JobObject } from "../../src/objects/job-object.ts";
import { call, errorOf, uid } from "../api/helpers.ts";
import { runToEnd, waitDone } from "./helpers.ts";

const KiB = 1024;
const tag = () => crypto.randomUUID().slice(0, 8);

async function page(jobId: string, user: string, query: string): Promise<Response> {
  return call(`/v1/jobs/${jobId}/result?${query}`, { user });
}

/** Every stored row of a set, page after page, following `next_after`. */
async function readAll(jobId: string, user: string, set: number, limit = 1000) {
  const rows: (string | null)[][] = [];
  let after: number | null = 0;
  let pages = 0;
  while (after !== null) {
    const res = await page(jobId, user, `set=${set}&after=${after}&limit=${limit}`);
    expect(res.status).toBe(200);
    const p = await res.json<ResultPage>();
    let bytes = 0;
    for (const r of p.rows)
      for (const v of r) bytes += v === null ? 0 : new TextEncoder().encode(v).length;
    // A page stays under its byte cap unless it is one row.
    if (p.rows.length > 1) expect(bytes).toBeLessThanOrEqual(RESULT_LIMITS.pageMaxBytes);
    expect(p.rows.length).toBeLessThanOrEqual(limit);
    rows.push(...p.rows);
    after = p.next_after;
    pages++;
  }
  return { rows, pages };
}

/** A long job (its object's override set before it runs), run to its end. */
async function runWithCap(tree: Record<string, string>, head: string | string[], maxBytes: number) {
  const user = uid("user");
  const res = await call("/v1/jobs", {
    body: { request_id: uid("req"), user_id: user, mode: "long", project_tree: tree },
  });
  expect(res.status).toBe(202);
  const { job_id } = await res.json<{ job_id: string }>();
  const stub: DurableObjectStub<JobObject> = env.JOBS.get(env.JOBS.idFromName(job_id));
  await runInDurableObject(stub, (obj) => {
    obj.overrides = { resultMaxBytes: maxBytes };
  });
  const runBody = typeof head === "string" ? { head_path: head } : { heads: head };
  const run = await call(`/v1/jobs/${job_id}/run`, { body: runBody, user });
  expect(run.status).toBe(202);
  return { ...(await waitDone(job_id, user)), jobId: job_id, user };
}

describe("result pages", () => {
  it("the view carries the first rows of a set past its budget; pages give back every row", async () => {
    const t = tag();
    // 3,000 rows of ~1 KiB: ~3 MiB, over the view's 1 MiB.
    const view = await runToEnd({
      project_tree: {
        "init/01.sql": `CREATE TABLE r_${t} (i int);`,
        "test/big.sql": `SELECT 1 AS one;\nSELECT i, repeat(md5(i::text), 32) AS v FROM generate_series(1, 3000) i;\n`,
      },
      head_path: "test/big.sql",
    });
    expect(view.status).toBe("completed");
    expect(view.links.result).toBe(`/v1/jobs/${view.jobId}/result`);
    const [small, big] = view.result!.sets;
    expect(small).toMatchObject({ set_id: 0, stored_rows: 1, rows: [["1"]] });
    expect(small!.next).toBeUndefined();
    expect(big).toMatchObject({ set_id: 1, stored_rows: 3000, row_count: 3000, truncated: false });
    expect(big!.rows.length).toBeGreaterThan(0);
    expect(big!.rows.length).toBeLessThan(3000);
    expect(big!.next).toBe(`/v1/jobs/${view.jobId}/result?set=1&after=${big!.rows.length}`);
    expect(view.result).toMatchObject({ truncated: false, max_bytes: 64 * KiB * KiB });

    const { rows, pages } = await readAll(view.jobId, view.user, 1);
    expect(rows).toHaveLength(3000);
    expect(pages).toBeGreaterThan(1);
    expect(rows[0]![0]).toBe("1");
    expect(rows[2999]![0]).toBe("3000");
    expect(rows.slice(0, big!.rows.length)).toEqual(big!.rows);
    // The page's metadata is the set's.
    const first = await (await page(view.jobId, view.user, "set=1&limit=2")).json<ResultPage>();
    expect(first).toMatchObject({
      set_id: 1,
      head_path: "test/big.sql",
      command: "SELECT",
      columns: [
        { name: "i", type: "int4" },
        { name: "v", type: "text" },
      ],
      after: 0,
      next_after: 2,
      next: `/v1/jobs/${view.jobId}/result?set=1&after=2`,
    });
    expect(first.rows).toHaveLength(2);
  });

  it("the job's total cap cuts the result in UTF-8 bytes: truncated on the set and the job", async () => {
    const t = tag();
    // Rows of 100 x "é": 200 UTF-8 bytes (100 UTF-16 units). A 3,000-byte cap keeps 15 of them.
    const { status, result, jobId, user } = await runWithCap(
      {
        "init/01.sql": `CREATE TABLE c_${t} (i int);`,
        "test/cap.sql":
          "SELECT repeat('é', 100) FROM generate_series(1, 40);\nSELECT 'after' AS late;\n",
      },
      "test/cap.sql",
      3000,
    );
    expect(status).toBe("completed");
    expect(result).toMatchObject({ truncated: true, stored_bytes: 3000, max_bytes: 3000 });
    const [cut, later] = result!.sets;
    expect(cut).toMatchObject({ set_id: 0, row_count: 40, stored_rows: 15, truncated: true });
    // Once the job's budget is used up, later sets keep their metadata but no rows.
    expect(later).toMatchObject({ set_id: 1, row_count: 1, stored_rows: 0, truncated: true });
    expect((await readAll(jobId, user, 0)).rows).toHaveLength(15);
  });

  it("heads share the budget; set ids run across heads; each page names its head", async () => {
    const t = tag();
    // 5 rows of 10 bytes per set; a 70-byte cap: a's 50 bytes, then 2 of b1's rows, none of b2's.
    const { status, result, jobId, user } = await runWithCap(
      {
        "init/01.sql": `CREATE TABLE h_${t} (i int);`,
        "test/a.sql": "SELECT repeat('a', 10) FROM generate_series(1, 5);\n",
        "test/b.sql": "SELECT repeat('b', 10) FROM generate_series(1, 5);\nSELECT 'b2' AS two;\n",
      },
      ["test/a.sql", "test/b.sql"],
      70,
    );
    expect(status).toBe("completed");
    expect(result).toMatchObject({ truncated: true, stored_bytes: 70, max_bytes: 70 });
    expect(
      result?.heads?.map((h) => h.sets.map((s) => [s.set_id, s.stored_rows, s.truncated])),
    ).toEqual([
      [[0, 5, false]],
      [
        [1, 2, true],
        [2, 0, true],
      ],
    ]);
    const b1 = await (await page(jobId, user, "set=1")).json<ResultPage>();
    expect(b1).toMatchObject({
      head_path: "test/b.sql",
      rows: [["bbbbbbbbbb"], ["bbbbbbbbbb"]],
      next_after: null,
    });
    const a = await (await page(jobId, user, "set=0&after=3")).json<ResultPage>();
    expect(a).toMatchObject({
      head_path: "test/a.sql",
      after: 3,
      rows: [["aaaaaaaaaa"], ["aaaaaaaaaa"]],
    });
  });

  it("errors: another user's job 404, an unknown set 404, a job without a result yet 409, limits 400", async () => {
    const t = tag();
    const view = await runToEnd({
      project_tree: { "init/01.sql": `CREATE TABLE e_${t} (i int);`, "test/x.sql": "SELECT 1;\n" },
      head_path: "test/x.sql",
    });
    const other = await page(view.jobId, uid("someone-else"), "set=0");
    expect(other.status).toBe(404);
    expect(await errorOf(other)).toMatchObject({ code: "not_found", message: "job not found" });
    const unknown = await page(view.jobId, view.user, "set=7");
    expect(unknown.status).toBe(404);
    expect(await errorOf(unknown)).toMatchObject({
      code: "result_not_found",
      message: "the job's result has no set 7",
    });
    const tooMany = await page(view.jobId, view.user, "set=0&limit=1001");
    expect(tooMany.status).toBe(400);
    expect(await errorOf(tooMany)).toMatchObject({ code: "validation_failed", field: "limit" });
    const noSet = await page(view.jobId, view.user, "after=0");
    expect(noSet.status).toBe(400);
    expect(await errorOf(noSet)).toMatchObject({ code: "validation_failed", field: "set" });
    // Past the end: an empty page that ends.
    const past = await (await page(view.jobId, view.user, "set=0&after=5")).json<ResultPage>();
    expect(past).toMatchObject({ rows: [], next_after: null, next: null, stored_rows: 1 });

    const user = uid("user");
    const res = await call("/v1/jobs", {
      body: {
        request_id: uid("req"),
        user_id: user,
        mode: "long",
        project_tree: { "test/x.sql": "SELECT 1;" },
      },
    });
    const { job_id } = await res.json<{ job_id: string }>();
    const pending = await page(job_id, user, "set=0");
    expect(pending.status).toBe(409);
    expect(await errorOf(pending)).toMatchObject({
      code: "result_not_ready",
      message: "the job has no result yet (status pending)",
    });
  });
});
