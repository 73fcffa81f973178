import { describe, expect, it } from "vitest";
import { call, createJob, shortJob, uid } from "./helpers.ts";

describe("another user's job", () => {
  it("answers exactly like a job that does not exist, on every route", async () => {
    const owner = uid("owner");
    const jobId = await createJob(shortJob({ user_id: owner }));
    const missing = "f".repeat(32);
    const stranger = uid("stranger");
    const routes: [string, string, unknown][] = [
      ["GET", "", undefined],
      ["GET", "/logs", undefined],
      ["POST", "/append", { part: 1, project_tree: { "seed/x.sql": "SELECT 1;" } }],
      ["POST", "/run", {}],
      ["POST", "/cancel", undefined],
    ];
    for (const [method, suffix, body] of routes) {
      const theirs = await call(`/v1/jobs/${jobId}${suffix}`, { method, user: stranger, body });
      const none = await call(`/v1/jobs/${missing}${suffix}`, { method, user: stranger, body });
      expect(theirs.status, `${method} ${suffix}`).toBe(404);
      expect(none.status).toBe(404);
      expect(await theirs.text()).toBe(await none.text());
    }
    const own = await call(`/v1/jobs/${jobId}`, { user: owner });
    expect(own.status).toBe(200);
  });

  it("answers 404 for a malformed job id", async () => {
    const res = await call("/v1/jobs/not-a-job", { user: "u" });
    expect(res.status).toBe(404);
    expect((await res.json<{ error: { code: string } }>()).error.code).toBe("not_found");
  });
});
