// A result row over env-manager's per-row cap (ENV_MANAGER_MAX_ROW_BYTES, 9 MiB) on the real stack:
// the proxy refuses it before any of it reaches the Worker (row-guard.ts), and the job fails as the
// user's head_error with SQLSTATE 54000 and a message naming the limit; rows before it are kept.
import { describe, expect, it } from "vitest";
import { runToEnd } from "../jobs/helpers.ts";

describe("one result row over the proxy's cap", () => {
  it("fails the head with 54000 and the limit, keeping the sets before it", async () => {
    const view = await runToEnd({
      project_tree: {
        "init/01.sql": `CREATE TABLE t_${crypto.randomUUID().slice(0, 8)} (i int);`,
        "test/big.sql": "SELECT 'before' AS mark;\nSELECT repeat('x', 10 * 1024 * 1024) AS huge;\n",
      },
      head_path: "test/big.sql",
    });
    expect(view.status).toBe("failed");
    expect(view.error).toMatchObject({ code: "head_error", sqlstate: "54000", line: 2 });
    expect(view.error?.message).toMatch(
      /proxy: a result row of 1048576\d bytes is over the limit of 9437184 bytes per row \(ENV_MANAGER_MAX_ROW_BYTES\)/,
    );
    expect(view.result?.sets).toHaveLength(1);
    expect(view.result?.sets[0]).toMatchObject({ rows: [["before"]] });
  });
});
