// The job view carries the latest 20 `log` events (VIEW_LOG_LINES); older ones are only in
// `GET .../logs`, which pages every event.
import { describe, expect, it } from "vitest";
import { call } from "../api/helpers.ts";
import { runToEnd } from "./helpers.ts";

describe("log lines in the job view", () => {
  it("keeps the latest 20 of 25 \\echo lines, and the logs route has all 25", async () => {
    const head = Array.from({ length: 25 }, (_, i) => `\\echo line ${i + 1}`).join("\n");
    const view = await runToEnd({
      project_tree: { "init/01.sql": "SELECT 1;", "test/echo.sql": `${head}\n` },
      head_path: "test/echo.sql",
    });
    expect(view.status).toBe("completed");
    const messages = view.logs.map((e) => String(e.data.message));
    const echoed = messages.filter((m) => m.startsWith("line "));
    expect(messages).toHaveLength(20);
    expect(echoed.at(-1)).toBe("line 25");
    expect(echoed).not.toContain("line 1");
    const page = await call(`/v1/jobs/${view.jobId}/logs?limit=1000`, { user: view.user });
    const all = (
      await page.json<{ events: { type: string; data: { message?: string } }[] }>()
    ).events.filter((e) => e.type === "log" && e.data.message?.startsWith("line "));
    expect(all).toHaveLength(25);
  });
});
