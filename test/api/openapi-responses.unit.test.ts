// Every route of the Worker, called for each status it can be made to answer without a platform
// (jobs created here fail: a job that cannot reach env-manager waits for it to come back, so
// their 1 s timeout_ms ends that wait instead of the 60 s ENV_RECOVERY cap), and each real answer checked against the OpenAPI
// document: an undocumented status, content type or body shape fails. The completed-job views,
// events and live answers that need PostgreSQL are in openapi-responses.integration.test.ts.
import { exports } from "cloudflare:workers";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { app } from "../../src/api/app.ts";
import { errorResponse } from "../../src/api/errors.ts";
import { BLOB_LIMITS } from "../../src/jobs/blob-upload.ts";
import { BODY_LIMITS } from "../../src/limits/limits.ts";
import { waitDone } from "../jobs/helpers.ts";
import { upgrade } from "../live/helpers.ts";
import { OpenApiCheck } from "../support/openapi-check.ts";
import { type CallOptions, call, createJob, shortJob, TOKEN, uid } from "./helpers.ts";

const DAY = 24 * 3600;
/** Short enough that a job waiting for the absent env-manager ends well within a test's 30 s. */
const FAIL_FAST_MS = 1000;
const check = await OpenApiCheck.load();

/** Calls `path` and checks the answer against `METHOD template`; returns the status and body. */
async function hit(method: string, template: string, path: string, opts: CallOptions = {}) {
  const res = await call(path, { method, ...opts });
  const body = await check.check(method, template, res);
  return { status: res.status, body: body as Record<string, unknown> };
}

async function digestOf(text: string): Promise<string> {
  const hash = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return `sha256:${[...new Uint8Array(hash)].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

async function longJob() {
  const user = uid("user");
  const jobId = await createJob({
    request_id: uid("req"),
    user_id: user,
    mode: "long",
    timeout_ms: FAIL_FAST_MS,
  });
  return { user, jobId };
}

async function failedJob() {
  const body: Record<string, unknown> = { ...shortJob(), timeout_ms: FAIL_FAST_MS };
  const user = body.user_id as string;
  const jobId = await createJob(body);
  await waitDone(jobId, user);
  return { user, jobId };
}

const NO_JOB = "0".repeat(32);
// Not part of the API: the playground page and its development-only page-session API stand in
// for a gateway (docs/playground.md); `/` redirects to the page.
const NOT_API = (path: string) => path === "/" || path === "/play" || path.startsWith("/play/");

describe("the OpenAPI document", () => {
  it("describes every route the Worker mounts, and gives every operation an operationId", () => {
    const mounted = new Set<string>();
    for (const r of app.routes) {
      if (r.method === "ALL" || r.path.includes("*") || NOT_API(r.path)) continue;
      const path = r.path.replace(/\/$/, "").replace(/:([A-Za-z_]+)/g, "{$1}");
      mounted.add(`${r.method} ${path}`);
    }
    expect([...mounted].sort()).toEqual(check.operations());
    const ids = check.operations().map((op) => {
      const [method = "", path = ""] = op.split(" ");
      return check.operation(method, path)?.operationId;
    });
    expect(ids.every((id) => typeof id === "string" && id.length > 0)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("documents a 500 `internal` answer on every operation", () => {
    for (const op of check.operations()) {
      const [method = "", path = ""] = op.split(" ");
      expect(check.operation(method, path)?.responses["500"], op).toBeDefined();
    }
  });
});

describe("real answers match the document", () => {
  it("service routes: /healthz, /readyz (503 without a platform), /v1/openapi.json, /live", async () => {
    expect((await hit("GET", "/healthz", "/healthz", { token: null })).status).toBe(200);
    const ready = await hit("GET", "/readyz", "/readyz", { token: null });
    expect(ready.status).toBe(503);
    expect(ready.body.down).toEqual(["env-manager", "snapshot-cache"]);
    expect((await hit("GET", "/v1/openapi.json", "/v1/openapi.json")).status).toBe(200);
    expect((await hit("GET", "/live", "/live", { token: null })).status).toBe(200);
  });

  it("every gateway route answers 401 without the bearer token", async () => {
    const samples: Record<string, string> = { job_id: NO_JOB, digest: await digestOf("x") };
    let count = 0;
    for (const op of check.operations()) {
      const [method = "", path = ""] = op.split(" ");
      const security = check.operation(method, path) as { security?: unknown[] };
      if (Array.isArray(security.security) && security.security.length === 0) continue;
      const concrete = path.replace(/\{(\w+)\}/g, (_, name: string) => samples[name] ?? name);
      const res = await hit(method, path, concrete, { token: null, user: "u" });
      expect(res.status, op).toBe(401);
      count++;
    }
    expect(count).toBeGreaterThan(10);
  });

  it("POST /v1/jobs: 202, 400, 403, 409, 413, 422", async () => {
    const body = shortJob();
    const created = await hit("POST", "/v1/jobs", "/v1/jobs", { body });
    expect([created.status, created.body.created]).toEqual([202, true]);
    const again = await hit("POST", "/v1/jobs", "/v1/jobs", { body });
    expect([again.status, again.body.created]).toEqual([202, false]);
    const invalid = await hit("POST", "/v1/jobs", "/v1/jobs", { rawBody: "{nope" });
    expect(invalid.status).toBe(400);
    const overPlan = await hit("POST", "/v1/jobs", "/v1/jobs", {
      body: shortJob({ job_ttl: 30 * DAY }),
    });
    expect(overPlan.status).toBe(403);
    const conflict = await hit("POST", "/v1/jobs", "/v1/jobs", {
      body: { ...body, head_path: "init/01_schema.sql" },
    });
    expect(conflict.status).toBe(409);
    const tree: Record<string, string> = {};
    for (let i = 0; i <= 10_000; i++) tree[`seed/${i}.sql`] = "";
    const tooMany = await hit("POST", "/v1/jobs", "/v1/jobs", {
      body: shortJob({ project_tree: tree, head_path: "seed/1.sql" }),
    });
    expect(tooMany.status).toBe(413);
    const empty = await hit("POST", "/v1/jobs", "/v1/jobs", {
      body: shortJob({ project_tree: {} }),
    });
    expect(empty.status).toBe(422);
    const plan = await hit("POST", "/v1/jobs", "/v1/jobs", {
      body: shortJob(),
      headers: { "x-user-plan": "gold" },
    });
    expect(plan.status).toBe(422);
  });

  it("append and run of a long job: 200/202, 400, 404, 409, 422", async () => {
    const { user, jobId } = await longJob();
    const append = (body: unknown, as = user) =>
      hit("POST", "/v1/jobs/{job_id}/append", `/v1/jobs/${jobId}/append`, { body, user: as });
    const run = (body: unknown, as = user) =>
      hit("POST", "/v1/jobs/{job_id}/run", `/v1/jobs/${jobId}/run`, { body, user: as });
    expect((await append({ part: 1, project_tree: { "init/a.sql": "SELECT 1;" } })).status).toBe(
      200,
    );
    expect((await append({ part: 1, project_tree: { "init/a.sql": "SELECT 2;" } })).status).toBe(
      409,
    );
    expect((await append({ part: 2, project_tree: { "init\\b.sql": "SELECT 1;" } })).status).toBe(
      422,
    );
    expect((await append({ part: "x" })).status).toBe(400);
    expect((await append({ part: 3, project_tree: {} }, uid("other"))).status).toBe(404);
    expect((await run({})).status).toBe(400);
    expect((await run({ head_path: "test/none.sql" })).status).toBe(422);
    expect((await run({ head_path: "init/a.sql" }, uid("other"))).status).toBe(404);
    const started = await run({ head_path: "init/a.sql" });
    expect(started.status).toBe(202);
    expect(started.body.job_id).toBe(jobId);
    expect((await run({ head_path: "init/other.sql" })).status).toBe(409);
    await waitDone(jobId, user);
  });

  it("the job view, its events (JSON, SSE, 204) and its webhooks: 200, 204, 400, 404", async () => {
    const pending = await longJob();
    const view = (path: string, user: string) =>
      hit("GET", "/v1/jobs/{job_id}", `/v1/jobs/${path}`, { user });
    expect((await view(pending.jobId, pending.user)).body.status).toBe("pending");
    const sse = { accept: "text/event-stream" };
    const live = await hit("GET", "/v1/jobs/{job_id}/logs", `/v1/jobs/${pending.jobId}/logs`, {
      user: pending.user,
      headers: sse,
    });
    expect(live.status).toBe(200);

    const { user, jobId } = await failedJob();
    expect((await view(jobId, user)).body.status).toBe("failed");
    expect((await view(`${jobId}?wait_ms=-1`, user)).status).toBe(400);
    expect((await view(jobId, "")).status).toBe(400);
    expect((await view(jobId, uid("other"))).status).toBe(404);
    expect((await view("not-a-job", user)).status).toBe(404);

    const logs = (query: string, opts: CallOptions = {}) =>
      hit("GET", "/v1/jobs/{job_id}/logs", `/v1/jobs/${jobId}/logs${query}`, { user, ...opts });
    const events = await logs("?after=0&limit=1000");
    expect([events.status, events.body.done]).toEqual([200, true]);
    const after = events.body.next_after as number;
    expect((await logs(`?after=${after}`, { headers: sse })).status).toBe(204);
    expect((await logs("?limit=0")).status).toBe(400);
    expect((await logs("", { user: uid("other") })).status).toBe(404);

    // The result route: a failed job without a result 404, a pending one 409, a bad query 400.
    const result = (id: string, query: string, as: string) =>
      hit("GET", "/v1/jobs/{job_id}/result", `/v1/jobs/${id}/result${query}`, { user: as });
    expect((await result(jobId, "?set=0", user)).body.error).toMatchObject({
      code: "result_not_found",
    });
    expect((await result(pending.jobId, "?set=0", pending.user)).status).toBe(409);
    expect((await result(jobId, "?set=0&limit=1001", user)).status).toBe(400);
    expect((await result(jobId, "?set=0", uid("other"))).status).toBe(404);

    const hooks = (as: string) =>
      hit("GET", "/v1/jobs/{job_id}/webhooks", `/v1/jobs/${jobId}/webhooks`, { user: as });
    expect((await hooks(user)).status).toBe(200);
    expect((await hooks(uid("other"))).status).toBe(404);
    expect((await hooks("")).status).toBe(400);
  });

  it("cancel and extend: 200, 400, 403, 404, 422", async () => {
    const { user, jobId } = await longJob();
    const cancel = (as: string) =>
      hit("POST", "/v1/jobs/{job_id}/cancel", `/v1/jobs/${jobId}/cancel`, { user: as });
    expect((await cancel(uid("other"))).status).toBe(404);
    expect((await cancel("")).status).toBe(400);
    expect((await cancel(user)).body.status).toBe("canceled");

    const extend = (body: unknown, headers: Record<string, string> = {}, as = user) =>
      hit("POST", "/v1/jobs/{job_id}/extend", `/v1/jobs/${jobId}/extend`, {
        body,
        headers,
        user: as,
      });
    expect((await extend({ job_ttl: 2 * DAY })).status).toBe(200);
    expect((await extend({})).status).toBe(400);
    expect((await extend({ job_ttl: 30 * DAY })).status).toBe(403);
    expect((await extend({ job_ttl: DAY }, { "x-user-plan": "gold" })).status).toBe(422);
    expect((await extend({ job_ttl: DAY }, {}, uid("other"))).status).toBe(404);
  });

  it("ticket and WebSocket: 200, 101, 400, 401, 403, 404, 426", async () => {
    const { user, jobId } = await longJob();
    const ticket = (id: string, as: string) =>
      hit("POST", "/v1/jobs/{job_id}/ticket", `/v1/jobs/${id}/ticket`, { user: as });
    const issued = await ticket(jobId, user);
    expect(issued.status).toBe(200);
    expect((await ticket(jobId, uid("other"))).status).toBe(404);
    expect((await ticket(jobId, "")).status).toBe(400);

    const ws = "/v1/jobs/{job_id}/ws";
    const open = await upgrade(jobId, { ticket: issued.body.ticket as string });
    await check.check("GET", ws, open);
    expect(open.status).toBe(101);
    open.webSocket?.accept();
    open.webSocket?.close(1000);
    const other = await longJob();
    const mismatch = await upgrade(other.jobId, { ticket: issued.body.ticket as string });
    await check.check("GET", ws, mismatch);
    expect(mismatch.status).toBe(403);
    const badCursor = await upgrade(jobId, { ticket: issued.body.ticket as string, after: "x" });
    await check.check("GET", ws, badCursor);
    expect(badCursor.status).toBe(400);
    const noJob = await upgrade(
      "not-a-job",
      {},
      { authorization: `Bearer ${TOKEN}`, "x-user-id": user },
    );
    await check.check("GET", ws, noJob);
    expect(noJob.status).toBe(404);
    const none = await upgrade(jobId, {});
    await check.check("GET", ws, none);
    expect(none.status).toBe(401);
    const plain = await hit("GET", ws, `/v1/jobs/${jobId}/ws`, { token: null });
    expect(plain.status).toBe(426);
  });

  it("blobs: 200, 201, 400, 411, 413, 422", async () => {
    const user = uid("user");
    const missing = (body: unknown) =>
      hit("POST", "/v1/blobs/missing", "/v1/blobs/missing", { body, user });
    const text = `SELECT 1; -- ${uid()}\n`;
    const digest = await digestOf(text);
    expect((await missing({ digests: [digest] })).body.missing).toEqual([digest]);
    expect((await missing({ digests: ["sha256:nope"] })).status).toBe(400);
    const big = { digests: Array(Math.ceil(BLOB_LIMITS.maxMissingBodyBytes / 70)).fill(digest) };
    expect((await missing(big)).status).toBe(413);

    const put = async (d: string, body: BodyInit) => {
      const res = await exports.default.fetch(`http://sql-runner.test/v1/blobs/${d}`, {
        method: "PUT",
        headers: { authorization: `Bearer ${TOKEN}`, "x-user-id": user },
        body,
      });
      return { status: res.status, body: await check.check("PUT", "/v1/blobs/{digest}", res) };
    };
    expect((await put(digest, text)).status).toBe(201);
    expect((await put("sha256:nope", text)).status).toBe(400);
    expect((await put(digest, "other bytes")).status).toBe(422);
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode(text));
        c.close();
      },
    });
    expect((await put(digest, stream)).status).toBe(411);
    const over = "x".repeat(BLOB_LIMITS.maxBlobBytes + 1);
    expect((await put(await digestOf(over), over)).status).toBe(413);
  });

  it("every POST under /v1/jobs answers 413 to a declared body over the limit", async () => {
    const { user, jobId } = await longJob();
    const posts = check.operations().filter((op) => op.startsWith("POST /v1/jobs/{job_id}/"));
    expect(posts.length).toBeGreaterThan(4);
    for (const op of posts) {
      const path = op.slice("POST ".length);
      const res = await exports.default.fetch(
        `http://sql-runner.test${path.replace("{job_id}", jobId)}`,
        {
          method: "POST",
          headers: {
            authorization: `Bearer ${TOKEN}`,
            "x-user-id": user,
            "content-type": "application/json",
            "content-length": String(BODY_LIMITS.maxBodyBytes + 1),
          },
          body: "{}",
        },
      );
      await check.check("POST", path, res);
      expect(res.status, op).toBe(413);
    }
  });

  it("a 500 of the error mapping is the documented InternalError body (a route made to throw)", async () => {
    // No route fails on purpose: a throwing handler behind the same mapping injects the fault.
    const faulty = new Hono().get("/healthz", () => {
      throw new Error("injected fault");
    });
    faulty.onError((err, c) => errorResponse(err, c));
    const res = await faulty.request("/healthz");
    const body = (await check.check("GET", "/healthz", res)) as { error: { id: string } };
    expect(res.status).toBe(500);
    expect(JSON.stringify(body)).not.toContain("injected fault");
  });

  it("admin sweep: 200", async () => {
    const res = await hit("POST", "/v1/admin/sweep", "/v1/admin/sweep");
    expect(res.status).toBe(200);
  });

  it("called every documented operation", () => {
    const called = new Set([...check.seen].map((s) => s.split(" ").slice(0, 2).join(" ")));
    expect(check.operations().filter((op) => !called.has(op))).toEqual([]);
  });
});
