// The caps of what a job is given (JOB_LIMITS in src/jobs/job-input.ts, the logs page, the webhook
// URL), crossed through the worker by one unit each: the value at the cap is accepted, one past
// it is 400 `validation_failed` naming the field (docs/limits.md).
import { describe, expect, it } from "vitest";
import { JOB_LIMITS } from "../../src/jobs/job-input.ts";
import { call, createJob, errorOf, uid } from "./helpers.ts";

/** A long job (nothing runs until `run`), so accepting a body costs no platform. */
function longBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { request_id: uid("req"), user_id: uid("user"), mode: "long", ...overrides };
}

function variables(count: number, bytes = 1): Record<string, string> {
  return Object.fromEntries(Array.from({ length: count }, (_, i) => [`v${i}`, "x".repeat(bytes)]));
}

function telemetry(count: number, chars = 1): Record<string, string> {
  return Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${i}`, "y".repeat(chars)]));
}

const cases: {
  name: string;
  at: Record<string, unknown>;
  over: Record<string, unknown>;
  field: string;
}[] = [
  {
    name: `${JOB_LIMITS.maxVariables} variables`,
    at: { variables: variables(JOB_LIMITS.maxVariables) },
    over: { variables: variables(JOB_LIMITS.maxVariables + 1) },
    field: "variables",
  },
  {
    name: `a variable of ${JOB_LIMITS.maxVariableBytes} characters`,
    at: { variables: variables(1, JOB_LIMITS.maxVariableBytes) },
    over: { variables: variables(1, JOB_LIMITS.maxVariableBytes + 1) },
    field: "variables.v0",
  },
  {
    name: `a request_id of ${JOB_LIMITS.maxIdLength} characters`,
    at: { request_id: "r".repeat(JOB_LIMITS.maxIdLength) },
    over: { request_id: "r".repeat(JOB_LIMITS.maxIdLength + 1) },
    field: "request_id",
  },
  {
    name: `a user_id of ${JOB_LIMITS.maxIdLength} characters`,
    at: { user_id: "u".repeat(JOB_LIMITS.maxIdLength) },
    over: { user_id: "u".repeat(JOB_LIMITS.maxIdLength + 1) },
    field: "user_id",
  },
  {
    name: `${JOB_LIMITS.maxTelemetryEntries} telemetry_context entries`,
    at: { telemetry_context: telemetry(JOB_LIMITS.maxTelemetryEntries) },
    over: { telemetry_context: telemetry(JOB_LIMITS.maxTelemetryEntries + 1) },
    field: "telemetry_context",
  },
  {
    name: "a telemetry_context value of 1024 characters",
    at: { telemetry_context: telemetry(1, 1024) },
    over: { telemetry_context: telemetry(1, 1025) },
    field: "telemetry_context.k0",
  },
];

async function refused(res: Response, field: string): Promise<void> {
  expect(res.status).toBe(400);
  const err = await errorOf(res);
  expect(err.code).toBe("validation_failed");
  expect(err.field).toBe(field);
  expect(err.message).toContain(field);
}

describe("job input caps", () => {
  for (const c of cases) {
    it(`accepts ${c.name} and refuses one more`, async () => {
      const at = await call("/v1/jobs", { body: longBody(c.at) });
      expect(at.status).toBe(202);
      await refused(await call("/v1/jobs", { body: longBody(c.over) }), c.field);
    });
  }

  it(`append: part ${JOB_LIMITS.maxParts} is accepted, part ${JOB_LIMITS.maxParts + 1} refused`, async () => {
    const user = uid("user");
    const jobId = await createJob(longBody({ user_id: user }));
    const tree = { "init/a.sql": "SELECT 1;" };
    const at = await call(`/v1/jobs/${jobId}/append`, {
      body: { part: JOB_LIMITS.maxParts, project_tree: tree },
      user,
    });
    expect(at.status).toBe(200);
    const over = await call(`/v1/jobs/${jobId}/append`, {
      body: { part: JOB_LIMITS.maxParts + 1, project_tree: tree },
      user,
    });
    await refused(over, "part");
  });

  it("logs: a page of 1000 events is allowed, 1001 refused", async () => {
    const user = uid("user");
    const jobId = await createJob(longBody({ user_id: user }));
    expect((await call(`/v1/jobs/${jobId}/logs?limit=1000`, { user })).status).toBe(200);
    await refused(await call(`/v1/jobs/${jobId}/logs?limit=1001`, { user }), "limit");
  });

  it("webhook: a URL longer than 2048 characters is refused", async () => {
    const url = `https://hooks.example.com/${"p".repeat(2048)}`;
    const res = await call("/v1/jobs", { body: longBody({ webhook: { url } }) });
    await refused(res, "webhook.url");
  });
});
