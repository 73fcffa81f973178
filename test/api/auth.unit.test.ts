import { describe, expect, it } from "vitest";
import { call, errorOf, shortJob } from "./helpers.ts";

describe("gateway authentication", () => {
  it("rejects a create without a bearer token", async () => {
    const res = await call("/v1/jobs", { body: shortJob(), token: null });
    expect(res.status).toBe(401);
    expect((await errorOf(res)).code).toBe("unauthorized");
  });

  it("rejects a wrong token, also one that is a prefix of the right one", async () => {
    for (const token of ["wrong", "dev-gateway-toke", "dev-gateway-token2"]) {
      const res = await call("/v1/jobs", { body: shortJob(), token });
      expect(res.status).toBe(401);
      expect((await errorOf(res)).code).toBe("unauthorized");
    }
  });

  it("protects every job route", async () => {
    const id = "0".repeat(32);
    const routes: [string, string][] = [
      ["GET", `/v1/jobs/${id}`],
      ["GET", `/v1/jobs/${id}/logs`],
      ["POST", `/v1/jobs/${id}/append`],
      ["POST", `/v1/jobs/${id}/run`],
      ["POST", `/v1/jobs/${id}/cancel`],
    ];
    for (const [method, path] of routes) {
      const res = await call(path, { method, token: null, user: "u" });
      expect(res.status, `${method} ${path}`).toBe(401);
      expect((await errorOf(res)).code).toBe("unauthorized");
    }
  });

  it("accepts the configured token", async () => {
    const res = await call("/v1/jobs", { body: shortJob() });
    expect(res.status).toBe(202);
    const body = await res.json<{ job_id: string; status: string }>();
    expect(body.job_id).toMatch(/^[0-9a-f]{32}$/);
    expect(body.status).toBe("pending");
  });
});
