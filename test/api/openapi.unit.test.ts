import { describe, expect, it } from "vitest";
import { call } from "./helpers.ts";

interface Doc {
  openapi: string;
  paths: Record<string, Record<string, unknown>>;
  components: {
    schemas: Record<
      string,
      { required?: string[]; additionalProperties?: unknown; properties?: Record<string, unknown> }
    >;
  };
}

describe("GET /v1/openapi.json", () => {
  it("describes every route, generated from the zod schemas", async () => {
    const res = await call("/v1/openapi.json", { token: null });
    expect(res.status).toBe(200);
    const doc = await res.json<Doc>();
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths).sort()).toEqual([
      "/healthz",
      "/live",
      "/readyz",
      "/v1/admin/sweep",
      "/v1/blobs/missing",
      "/v1/blobs/{digest}",
      "/v1/jobs",
      "/v1/jobs/{job_id}",
      "/v1/jobs/{job_id}/append",
      "/v1/jobs/{job_id}/cancel",
      "/v1/jobs/{job_id}/extend",
      "/v1/jobs/{job_id}/logs",
      "/v1/jobs/{job_id}/result",
      "/v1/jobs/{job_id}/run",
      "/v1/jobs/{job_id}/ticket",
      "/v1/jobs/{job_id}/webhooks",
      "/v1/jobs/{job_id}/ws",
      "/v1/openapi.json",
    ]);
    expect(doc.components.schemas.MissingBlobsBody?.required).toEqual(["digests"]);
    const create = doc.components.schemas.CreateJobBody;
    expect(create?.required).toEqual(expect.arrayContaining(["request_id", "user_id"]));
    expect(create?.additionalProperties).toBe(false);
    expect(doc.components.schemas.JobView?.required).toEqual(
      expect.arrayContaining(["status", "stages", "snapshot", "result", "error", "metrics"]),
    );
  });

  it("carries how heads run: on_error, output, echo, heads in, errors and test verdicts out", async () => {
    const doc = await (await call("/v1/openapi.json", { token: null })).json<Doc>();
    const { CreateJobBody, RunBody, JobView } = doc.components.schemas;
    for (const s of [CreateJobBody, RunBody]) {
      expect(Object.keys(s?.properties ?? {})).toEqual(
        expect.arrayContaining(["on_error", "output", "echo", "heads"]),
      );
    }
    expect(CreateJobBody?.properties?.on_error).toMatchObject({ enum: ["stop", "continue"] });
    expect(JobView?.required).toEqual(
      expect.arrayContaining(["on_error", "output", "echo", "heads"]),
    );
    const text = JSON.stringify(JobView);
    for (const field of ["set_index", "stopped_by", "expected_path", "diff", "output_truncated"])
      expect(text).toContain(`"${field}"`);
  });
});
