import { describe, expect, it } from "vitest";
import { call, errorOf, shortJob, uid } from "./helpers.ts";

describe("idempotent create", () => {
  it("gives the same job for the same user_id + request_id and body", async () => {
    const body = shortJob();
    const first = await call("/v1/jobs", { body });
    const second = await call("/v1/jobs", { body });
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    const a = await first.json<{ job_id: string; created: boolean }>();
    const b = await second.json<{ job_id: string; created: boolean }>();
    expect(b.job_id).toBe(a.job_id);
    expect(a.created).toBe(true);
    expect(b.created).toBe(false);
  });

  it("answers 409 idempotency_conflict for the same key with another body", async () => {
    const body = shortJob();
    expect((await call("/v1/jobs", { body })).status).toBe(202);
    const res = await call("/v1/jobs", { body: { ...body, variables: { x: "1" } } });
    expect(res.status).toBe(409);
    const err = await errorOf(res);
    expect(err.code).toBe("idempotency_conflict");
    expect(err.message).toContain(String(body.request_id));
  });

  it("gives another job for another request_id or another user", async () => {
    const body = shortJob();
    const a = await (await call("/v1/jobs", { body })).json<{ job_id: string }>();
    const b = await (await call("/v1/jobs", { body: { ...body, request_id: uid("req") } })).json<{
      job_id: string;
    }>();
    const c = await (await call("/v1/jobs", { body: { ...body, user_id: uid("user") } })).json<{
      job_id: string;
    }>();
    expect(new Set([a.job_id, b.job_id, c.job_id]).size).toBe(3);
  });
});
