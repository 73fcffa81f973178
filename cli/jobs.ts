// Creating a job from a local project and waiting for its end: the pieces `run`, `test` and
// `watch` share. Files go by etag after upload.ts sent the ones the service lacks (or inline).
import { randomUUID } from "node:crypto";
import { type JobView, TERMINAL } from "./api-types.ts";
import type { ApiClient } from "./client.ts";
import { EXIT, RequestError } from "./exit-codes.ts";
import type { Project } from "./project.ts";
import { type Upload, uploadTree } from "./upload.ts";

export interface JobRequest {
  project: Project;
  head: string;
  variables: Record<string, string>;
  onError?: string;
  timeoutMs?: number;
  /** Told how many files were sent and how many the service already held. */
  onUpload?: (upload: Upload) => void;
}

/** Codes of a create refusal that mean the command line named the wrong thing (exit 2). */
const USAGE_CODES = new Set([
  "unknown_head",
  "head_not_sql",
  "validation_failed",
  "missing_user_id",
  "unauthorized",
]);

export async function createJob(client: ApiClient, req: JobRequest): Promise<string> {
  const upload = await uploadTree(client, req.project);
  req.onUpload?.(upload);
  const body: Record<string, unknown> = {
    request_id: `cli-${randomUUID()}`,
    user_id: client.conn.user,
    project_tree: upload.tree,
    head_path: req.head,
    variables: req.variables,
  };
  if (req.onError !== undefined) body.on_error = req.onError;
  if (req.timeoutMs !== undefined) body.timeout_ms = req.timeoutMs;
  try {
    const created = await client.call<{ job_id: string }>("POST", "/v1/jobs", body);
    return created.job_id;
  } catch (err) {
    if (err instanceof RequestError) {
      const { path, line } = err.details;
      const at =
        typeof path === "string" && path
          ? `${path}${typeof line === "number" ? `:${line}` : ""}: `
          : "";
      throw new RequestError(
        `${at}${err.code}: ${err.message}`,
        err.status,
        err.code,
        USAGE_CODES.has(err.code) ? EXIT.usage : EXIT.failed,
      );
    }
    throw err;
  }
}

/** The job view once the job is terminal (long polls of 30 s). */
export async function finalView(
  client: ApiClient,
  jobId: string,
  signal?: AbortSignal,
): Promise<JobView> {
  for (;;) {
    const view = await client.call<JobView>(
      "GET",
      `/v1/jobs/${jobId}?wait_ms=30000`,
      undefined,
      signal,
    );
    if (TERMINAL.includes(view.status)) return view;
  }
}

export async function cancelJob(client: ApiClient, jobId: string): Promise<string> {
  const res = await client.call<{ status: string }>("POST", `/v1/jobs/${jobId}/cancel`);
  return res.status;
}
