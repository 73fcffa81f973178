// Step progress is throttled: a tail step of 600 short statements reports its progress at most
// once per 250 ms (PROGRESS_EVERY_MS, src/run/script.ts), not once per statement.
import { describe, expect, it } from "vitest";
import type { JobEvent } from "../../src/jobs/model.ts";
import { call, runToEnd, uid } from "./helpers.ts";

describe("step progress", () => {
  it("reports a long step's progress at most once per 250 ms", async () => {
    const t = `p_${uid("t").replaceAll("-", "_")}`;
    const statements = 600;
    const seed = Array.from(
      { length: statements },
      (_, i) => `INSERT INTO ${t} SELECT ${i} FROM pg_sleep(0.004);`,
    ).join("\n");
    const view = await runToEnd({
      project_tree: {
        "init/01.sql": `CREATE TABLE ${t} (n int);`,
        "seed/01.sql": seed,
        "test/q.sql": `SELECT count(*) AS n FROM ${t};`,
      },
      head_path: "test/q.sql",
      timeout_ms: 120_000,
    });
    expect(view.status).toBe("completed");
    expect(view.result?.sets[0]?.rows).toEqual([[String(statements)]]);

    const res = await call(`/v1/jobs/${view.jobId}/logs?after=0&limit=1000`, { user: view.user });
    const { events } = await res.json<{ events: JobEvent[] }>();
    const progress = events.filter(
      (e) => e.type === "step" && e.data.state === "progress" && e.data.path === "seed/01.sql",
    );
    // 600 statements of >= 4 ms each take >= 2.4 s: several reports, far fewer than statements.
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress.length).toBeLessThan(statements / 10);
    const done = progress.map((e) => Number(e.data.statements_done));
    expect(done).toEqual([...done].sort((a, b) => a - b));
    // Consecutive reports are >= 250 ms apart by the clock that throttles them (their `ts` is
    // stamped a moment after that clock is read, hence the few ms of slack).
    const ts = progress.map((e) => Date.parse(e.ts));
    for (let i = 1; i < ts.length; i++) expect(ts[i]! - ts[i - 1]!).toBeGreaterThanOrEqual(240);
  }, 180_000);
});
