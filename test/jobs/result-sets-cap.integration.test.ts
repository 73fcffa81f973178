// The job's cap on kept result sets, on the real stack (workerd, PostgreSQL): a head of more sets
// than RESULT_LIMITS.maxSets, and heads whose sets' metadata (here, wide column lists) passes
// maxSetMetaBytes. Past either cap the head keeps running (later statements still print and still
// report errors), the sets are dropped and the job's result says so: `truncated`, `dropped_sets`,
// `max_sets`. The error entries of a head in continue mode are capped the same way
// (RESULT_LIMITS.maxErrors: `dropped_errors`, `max_errors`). The real caps are crossed, not
// lowered ones.
import { describe, expect, it } from "vitest";
import type { ResultSet } from "../../src/jobs/model.ts";
import { RESULT_LIMITS } from "../../src/limits/limits.ts";
import { call, runToEnd } from "./helpers.ts";

const tag = () => crypto.randomUUID().slice(0, 8);
const utf8 = (s: string) => new TextEncoder().encode(s).length;

/** What a set costs the view, counted here from the view's own fields. */
function metaOf(s: ResultSet): number {
  let n = utf8(s.command) + utf8(s.tag) + utf8(s.file ?? "");
  for (const c of s.columns) n += utf8(c.name) + utf8(c.type);
  return n;
}

describe("result sets per job", () => {
  it("a head of more than max_sets sets keeps the first ones, runs to its end and says how many it dropped", async () => {
    const total = RESULT_LIMITS.maxSets + 5;
    // `\;` sends 100 statements in one query (one round trip), each its own result set.
    const lines: string[] = [];
    for (let from = 1; from <= total; from += 100) {
      const group: string[] = [];
      for (let i = from; i < Math.min(from + 100, total + 1); i++) group.push(`SELECT ${i} AS n`);
      lines.push(`${group.join(" \\; ")};`);
    }
    // After the cap: an error (reported) and a last statement (printed): the head did not stop.
    lines.push("SELECT 1 / 0;", "SELECT 'the end' AS last_mark;");
    const view = await runToEnd({
      project_tree: {
        "init/01.sql": `CREATE TABLE s_${tag()} (i int);`,
        "test/many.sql": `${lines.join("\n")}\n`,
      },
      head_path: "test/many.sql",
      on_error: "continue",
      output: ["json", "psql"],
    });
    expect(view.status).toBe("completed");
    const result = view.result!;
    expect(result.sets).toHaveLength(RESULT_LIMITS.maxSets);
    expect(result.sets[0]).toMatchObject({ set_id: 0, rows: [["1"]], columns: [{ name: "n" }] });
    const last = result.sets.at(-1)!;
    expect(last).toMatchObject({
      set_id: RESULT_LIMITS.maxSets - 1,
      rows: [[String(RESULT_LIMITS.maxSets)]],
    });
    // 5 SELECTs past the cap and the last one; the failed division makes no set.
    expect(result).toMatchObject({
      truncated: true,
      dropped_sets: 6,
      max_sets: RESULT_LIMITS.maxSets,
      max_set_meta_bytes: RESULT_LIMITS.maxSetMetaBytes,
    });
    expect(result.errors).toHaveLength(1);
    expect(result.errors![0]).toMatchObject({
      sqlstate: "22012",
      set_index: RESULT_LIMITS.maxSets,
    });
    expect(result.output).toContain("the end");
    expect(result.output).toContain(`${total}\n`);

    // The kept sets are readable by paging; a dropped one was never stored.
    const kept = await call(`/v1/jobs/${view.jobId}/result?set=${RESULT_LIMITS.maxSets - 1}`, {
      user: view.user,
    });
    expect(kept.status).toBe(200);
    const dropped = await call(`/v1/jobs/${view.jobId}/result?set=${RESULT_LIMITS.maxSets}`, {
      user: view.user,
    });
    expect(dropped.status).toBe(404);
    expect((await dropped.json<{ error: { code: string } }>()).error.code).toBe("result_not_found");
  });

  it("the sets' metadata is capped in bytes across heads: wide sets stop being kept before max_sets", async () => {
    // Each generated statement returns 200 int columns named with 60 characters: ~12.8 KB of
    // metadata per set, so 2 x 100 of them pass the 2 MiB cap well below 1,000 sets.
    const wide =
      "SELECT format('SELECT %s', string_agg(format('%s AS %I', g, 'c' || lpad(g::text, 59, '0')), ', ' ORDER BY g))\n" +
      "FROM generate_series(1, 200) g, generate_series(1, 100) s GROUP BY s \\gexec\n";
    const view = await runToEnd({
      project_tree: {
        "init/01.sql": `CREATE TABLE w_${tag()} (i int);`,
        "test/a.sql": wide,
        "test/b.sql": `${wide}SELECT 'end of b' AS b_mark;\n`,
      },
      heads: ["test/a.sql", "test/b.sql"],
      output: ["json", "psql"],
    });
    expect(view.status).toBe("completed");
    const result = view.result!;
    const [a, b] = result.heads!;
    // Head a: its \gexec query's set and its 100 wide sets, all kept.
    expect(a!.sets).toHaveLength(101);
    const keptSets = [...a!.sets, ...b!.sets];
    expect(keptSets.length).toBeLessThan(RESULT_LIMITS.maxSets);
    expect(b!.sets.length).toBeGreaterThan(1);
    expect(b!.sets.length).toBeLessThan(101);
    // Set ids run on across heads and have no gaps.
    expect(keptSets.map((s) => s.set_id)).toEqual(keptSets.map((_, i) => i));
    const used = keptSets.reduce((n, s) => n + metaOf(s), 0);
    expect(used).toBeLessThanOrEqual(RESULT_LIMITS.maxSetMetaBytes);
    // The next wide set would not have fit.
    expect(used + metaOf(a!.sets[1]!)).toBeGreaterThan(RESULT_LIMITS.maxSetMetaBytes);
    expect(a!.sets[1]!.columns).toHaveLength(200);
    // 2 x 101 sets and head b's last SELECT ran; the ones not kept are counted.
    expect(result).toMatchObject({
      truncated: true,
      dropped_sets: 203 - keptSets.length,
      max_sets: RESULT_LIMITS.maxSets,
    });
    expect(b!.output).toContain("end of b");
  });

  it("a head failing more than max_errors times keeps the first errors and counts the rest", async () => {
    const total = RESULT_LIMITS.maxErrors + 5;
    const lines = Array.from({ length: total }, (_, i) => `SELECT ${i + 1} / 0;`);
    lines.push("SELECT 'done' AS mark;");
    const view = await runToEnd({
      project_tree: {
        "init/01.sql": `CREATE TABLE e_${tag()} (i int);`,
        "test/fails.sql": `${lines.join("\n")}\n`,
      },
      head_path: "test/fails.sql",
      on_error: "continue",
    });
    expect(view.status).toBe("completed");
    const result = view.result!;
    expect(result.errors).toHaveLength(RESULT_LIMITS.maxErrors);
    expect(result.errors![0]).toMatchObject({ sqlstate: "22012", line: 1 });
    expect(result.errors!.at(-1)).toMatchObject({ line: RESULT_LIMITS.maxErrors });
    expect(result).toMatchObject({
      truncated: true,
      dropped_errors: 5,
      max_errors: RESULT_LIMITS.maxErrors,
    });
    // The head went on past the cap: its last statement's set is there.
    expect(result.sets.map((s) => s.rows)).toEqual([[["done"]]]);
    expect(result.dropped_sets).toBeUndefined();
  });
});
