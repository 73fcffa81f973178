// attributeFailure decides whose failure a failed step is. The probe stands in for env-manager's
// GET /v1/instances/:id (the integration test kills a real PostgreSQL for the end-to-end case).
import { describe, expect, it } from "vitest";
import type { InstanceResponse } from "../../src/clients/contracts/env-manager.ts";
import { AppError } from "../../src/errors.ts";
import { attributeFailure, scrubHostPaths } from "../../src/limits/attribution.ts";

const sqlError = (sqlstate: string, message: string) =>
  new AppError(400, "sql_error", message, { sqlstate });
const probe = (answer: InstanceResponse | null | "unreachable") => ({
  get: async () => {
    if (answer === "unreachable") throw new AppError(503, "env_unavailable", "down");
    return answer;
  },
});
const alive = { state: "running" } as unknown as InstanceResponse;
const dead = { state: "dead" } as unknown as InstanceResponse;

describe("attributeFailure", () => {
  it("names the quota of a quota SQLSTATE, scrubbed of host paths", async () => {
    const err = sqlError(
      "53400",
      "temporary file size exceeds temp_file_limit (262144kB) in /var/pg/base/pgsql_tmp/x.1",
    );
    expect(await attributeFailure(probe(alive), "i-1", err)).toEqual({
      error: {
        code: "quota_exceeded",
        limit: "temp_file_limit",
        message:
          "quota temp_file_limit exceeded: temporary file size exceeds temp_file_limit (262144kB) in <path>",
      },
      retryable: false,
    });
  });

  it("calls a lost session on a dead or vanished instance instance_lost, retryable", async () => {
    const lost = sqlError("57P01", "terminating connection due to administrator command");
    for (const answer of [dead, null]) {
      const got = await attributeFailure(probe(answer), "i-1", lost);
      expect(got?.error.code).toBe("instance_lost");
      expect(got?.retryable).toBe(true);
    }
    const closed = new AppError(400, "connection_error", "the connection closed under a statement");
    expect((await attributeFailure(probe(dead), "i-1", closed))?.error.code).toBe("instance_lost");
  });

  it("calls an instance found dead after a snapshot instance_lost, retryable", async () => {
    // Found by the reliability suite's kill test: PostgreSQL SIGKILLed while it restarted after a
    // snapshot failed the job as a non-retried env_unavailable.
    const err = new AppError(503, "instance_lost", "the instance died after a snapshot");
    expect(await attributeFailure(probe(dead), "i-1", err)).toEqual({
      error: {
        code: "instance_lost",
        message:
          "the PostgreSQL instance went away while the job ran (a platform failure): the instance died after a snapshot",
      },
      retryable: true,
    });
  });

  it("calls an unreachable env-manager env_unavailable", async () => {
    const lost = sqlError("08006", "connection failure");
    const got = await attributeFailure(probe("unreachable"), "i-1", lost);
    expect(got).toMatchObject({ error: { code: "env_unavailable" }, retryable: true });
  });

  it("leaves the user's own failures to them: a SQL error, or a session the user ended", async () => {
    expect(
      await attributeFailure(probe(dead), "i-1", sqlError("42P01", 'relation "t" does not exist')),
    ).toBeNull();
    // pg_terminate_backend(pg_backend_pid()) ends the session, the instance lives on.
    const ended = sqlError("57P01", "terminating connection due to administrator command");
    expect(await attributeFailure(probe(alive), "i-1", ended)).toBeNull();
    expect(await attributeFailure(probe(dead), null, ended)).toBeNull();
  });

  it("scrubs absolute host paths, not project paths", () => {
    expect(
      scrubHostPaths('could not open "/usr/lib/pg/share/extension/x.control" for init/01.sql'),
    ).toBe('could not open "<path>" for init/01.sql');
  });
});
