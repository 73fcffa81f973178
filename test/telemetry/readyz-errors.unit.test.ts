// Readiness and internal errors as an operator meets them: /readyz answers 503 naming the platform
// services that are down (the unit project has none) while /healthz stays 200; an unexpected
// error answers 500 with an error id that the JSON log line carries too, with the request id; the
// audit consumer retries a batch the audit-log service did not take.
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { describe, expect, it, vi } from "vitest";
import { errorResponse } from "../../src/api/errors.ts";
import { deliverAudit } from "../../src/telemetry/audit-consumer.ts";
import { toAuditRecord } from "../../src/telemetry/audit-record.ts";
import { operatorTelemetry } from "../../src/telemetry/http-telemetry.ts";
import { call } from "../api/helpers.ts";

describe("readiness", () => {
  it("answers 503 naming env-manager and snapshot-cache when they do not answer", async () => {
    const res = await call("/readyz", { token: null });
    expect(res.status).toBe(503);
    const body = await res.json<{
      status: string;
      down: string[];
      checks: Record<string, { ok: boolean; reason: string }>;
    }>();
    expect(body.status).toBe("not_ready");
    expect(body.down).toEqual(["env-manager", "snapshot-cache"]);
    expect(body.checks["env-manager"]?.reason).toBe("connection failed");
    expect((await call("/healthz", { token: null })).status).toBe(200);
  });
});

describe("internal errors", () => {
  it("answer 500 with error.id, logged with the same id and the request id", async () => {
    const app = new Hono<{ Bindings: Env }>();
    app.use("*", operatorTelemetry());
    app.get("/boom", () => {
      throw new Error("kaput");
    });
    app.onError((err, c) => errorResponse(err, c));
    const lines: string[] = [];
    const spy = vi.spyOn(console, "error").mockImplementation((line: unknown) => {
      lines.push(String(line));
    });
    let res: Response;
    try {
      res = await app.request("/boom", { headers: { "x-request-id": "req-42" } }, env);
    } finally {
      spy.mockRestore();
    }
    expect(res.status).toBe(500);
    expect(res.headers.get("x-request-id")).toBe("req-42");
    const body = await res.json<{ error: { code: string; message: string; id: string } }>();
    expect(body.error).toMatchObject({ code: "internal", message: "internal error" });
    expect(body.error.id).toMatch(/^err_[0-9a-f]{20}$/);
    const logged = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.event === "internal_error");
    expect(logged).toMatchObject({
      level: "error",
      error_id: body.error.id,
      request_id: "req-42",
      error_message: "kaput",
    });
    expect(JSON.stringify(body)).not.toContain("kaput");
  });
});

describe("audit consumer", () => {
  it("retries the whole batch when the audit-log service cannot be reached", async () => {
    const record = toAuditRecord(
      { action: "job.create", result: "ok", job_id: "j", user_id: "u" },
      null,
    );
    const batch = createMessageBatch("sql-runner-audit", [
      { id: "m1", timestamp: new Date(), attempts: 1, body: record },
      { id: "m2", timestamp: new Date(), attempts: 3, body: { not: "a record" } },
    ]);
    const ctx = createExecutionContext();
    await deliverAudit(batch, env);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toEqual(["m2"]);
    expect(result.retryBatch.retry).toBe(true);
    expect(result.ackAll).toBe(false);
  });
});
