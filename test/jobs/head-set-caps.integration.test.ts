// A head's per-set caps on the real stack, crossed at their real values: DEFAULT_MAX_ROWS rows
// per set and DEFAULT_MAX_BYTES of values per set (the rest of the set is dropped while it
// arrives: `truncated: true`, `row_count` stays the server's), and the psql text's 8 MiB
// (`output_truncated: true`). The job completes in each case: a cap is not an error.
import { describe, expect, it } from "vitest";
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_ROWS } from "../../src/engine/result-builder.ts";
import { runToEnd } from "./helpers.ts";

const tail = () => ({ "init/01.sql": `SELECT '${crypto.randomUUID()}';` });

describe("per-set caps of a head", () => {
  it(`keeps ${DEFAULT_MAX_ROWS} rows of a set of ${DEFAULT_MAX_ROWS + 1}`, async () => {
    const view = await runToEnd({
      project_tree: {
        ...tail(),
        "test/rows.sql": `SELECT g FROM generate_series(1, ${DEFAULT_MAX_ROWS + 1}) g;\nSELECT 'after' AS mark;\n`,
      },
      head_path: "test/rows.sql",
    });
    expect(view.status).toBe("completed");
    const [rows, after] = view.result?.sets ?? [];
    expect(rows).toMatchObject({ truncated: true, row_count: DEFAULT_MAX_ROWS + 1 });
    expect(rows?.stored_rows).toBe(DEFAULT_MAX_ROWS);
    // Its rows are stored (the view keeps few rows once a set filled its share): paged by set_id.
    expect(after).toMatchObject({ truncated: false, row_count: 1, stored_rows: 1 });
  });

  it(`keeps at most ${DEFAULT_MAX_BYTES} bytes of one set's values`, async () => {
    const mib = 1024 * 1024;
    const n = DEFAULT_MAX_BYTES / mib + 1;
    const view = await runToEnd({
      project_tree: {
        ...tail(),
        "test/bytes.sql": `SELECT repeat('x', ${mib}) AS v FROM generate_series(1, ${n});\n`,
      },
      head_path: "test/bytes.sql",
    });
    expect(view.status).toBe("completed");
    const set = view.result?.sets[0];
    expect(set).toMatchObject({ truncated: true, row_count: n });
    expect(set?.stored_rows).toBe(n - 1);
  });

  it("stops the psql text at 8 MiB and says output_truncated", async () => {
    const view = await runToEnd({
      project_tree: {
        ...tail(),
        "test/text.sql": "SELECT repeat('y', 1000) AS v FROM generate_series(1, 9000);\n",
      },
      head_path: "test/text.sql",
      output: ["psql"],
    });
    expect(view.status).toBe("completed");
    expect(view.result?.output_truncated).toBe(true);
    const bytes = new TextEncoder().encode(view.result?.output ?? "").length;
    expect(bytes).toBeLessThanOrEqual(8 * 1024 * 1024);
    expect(bytes).toBeGreaterThan(7 * 1024 * 1024);
  });
});
