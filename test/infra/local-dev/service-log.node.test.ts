// The platform services' log lines (infra/local-dev/service-log.ts): one JSON object each, level,
// event, ts and service first; long values capped; without a sink only warnings and errors reach
// stderr. And what an internal error in env-manager's router leaves: a 500 whose `error.id` names
// its one JSON line, and the traced request's line with the trace id and the error code.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Router } from "../../../infra/local-dev/env-manager/http.ts";
import {
  formatLogLine,
  MAX_FIELD_CHARS,
  serviceLog,
} from "../../../infra/local-dev/service-log.ts";
import { ServiceTelemetry } from "../../../infra/local-dev/telemetry/service-telemetry.ts";

describe("service-log", () => {
  it("formats one JSON object: level, event, ts, service first, then the known fields", () => {
    const line = formatLogLine(
      "warn",
      "env-manager",
      "something",
      { job_id: "j1", trace_id: undefined, status: 503, level: "info" },
      new Date("2026-12-01T00:00:00Z"),
    );
    expect(Object.entries(JSON.parse(line))).toEqual([
      ["level", "warn"],
      ["event", "something"],
      ["ts", "2026-12-01T00:00:00.000Z"],
      ["service", "env-manager"],
      ["job_id", "j1"],
      ["status", 503],
    ]);
  });

  it("caps a long value", () => {
    const line = JSON.parse(formatLogLine("error", "s", "e", { error: "x".repeat(5000) }));
    expect(line.error).toHaveLength(MAX_FIELD_CHARS + 1);
  });

  it("writes to the sink; without one, errors and warnings go to stderr and info is dropped", () => {
    const lines: string[] = [];
    serviceLog("audit-log", (l) => lines.push(l)).info("audit_appended", { added: 2 });
    expect(JSON.parse(lines[0] ?? "{}")).toMatchObject({ level: "info", added: 2 });
    const spy = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      const log = serviceLog("snapshot-cache");
      log.info("gc_deleted", { deleted: 1 });
      log.error("internal_error", { error: "boom" });
      expect(spy).toHaveBeenCalledTimes(1);
      expect(JSON.parse(String(spy.mock.calls[0]?.[0]))).toMatchObject({
        level: "error",
        event: "internal_error",
        service: "snapshot-cache",
        error: "boom",
      });
    } finally {
      spy.mockRestore();
    }
  });
});

describe("an internal error in env-manager's router", () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  it("answers 500 with an error id that its one JSON log line carries, without the stack", async () => {
    const lines: string[] = [];
    const sink = (l: string) => lines.push(l);
    const router = new Router("t0ken", serviceLog("env-manager", sink)).on(
      "GET",
      "/v1/instances",
      async () => {
        throw new TypeError("cannot read the instance table");
      },
    );
    const telemetry = new ServiceTelemetry({ service: "env-manager", token: "t0ken", log: sink });
    server = createServer(telemetry.wrap(router.handle));
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", () => resolve()));
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const res = await fetch(
      `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/instances`,
      {
        headers: {
          authorization: "Bearer t0ken",
          traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
        },
      },
    );
    expect(res.status).toBe(500);
    const body = (await res.json()) as { error: { code: string; id: string } };
    expect(body.error.code).toBe("internal");
    await vi.waitFor(() => expect(lines).toHaveLength(2));
    const [internal, request] = lines.map((l) => JSON.parse(l));
    expect(internal).toMatchObject({
      level: "error",
      event: "internal_error",
      service: "env-manager",
      error_id: body.error.id,
      trace_id: traceId,
      route: "/v1/instances",
      status: 500,
      code: "internal",
      error: "cannot read the instance table",
      error_name: "TypeError",
    });
    expect(lines[0]).not.toContain("    at "); // no stack frames
    expect(request).toMatchObject({
      level: "error",
      event: "request",
      trace_id: traceId,
      status: 500,
      code: "internal",
    });
  });
});
