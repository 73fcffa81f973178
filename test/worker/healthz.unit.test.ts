import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

describe("GET /healthz", () => {
  it("answers with the service version and the compatibility date", async () => {
    const res = await exports.default.fetch("http://sql-runner.test/healthz");
    expect(res.status).toBe(200);
    const body = await res.json<{ version: string; compatibility_date: string }>();
    expect(body.version).toBe("0.1.0");
    expect(body.compatibility_date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });
});
