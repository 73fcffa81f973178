// The answers only the real platform gives, checked against the OpenAPI document like the unit
// file does for the error statuses: completed, failed and canceled job views (result sets, psql
// text, head errors, layers), their events as JSON and SSE, webhook deliveries, a pinned
// extension, live tickets and the WebSocket, blobs a job then names by etag, and /readyz ready.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { receiverUrl, until } from "../lifecycle/helpers.ts";
import { upgrade } from "../live/helpers.ts";
import { OpenApiCheck } from "../support/openapi-check.ts";
import { type CallOptions, call, TOKEN, uid } from "./helpers.ts";

const DAY = 24 * 3600;
const check = await OpenApiCheck.load();
const SSE = { accept: "text/event-stream" };

async function hit(method: string, template: string, path: string, opts: CallOptions = {}) {
  const res = await call(path, { method, ...opts });
  const body = await check.check(method, template, res);
  return { status: res.status, body: body as Record<string, unknown> };
}

function tree(t: string, heads: Record<string, string> = {}): Record<string, string> {
  return {
    "init/01_schema.sql": `CREATE TABLE oa_${t} (id int PRIMARY KEY, name text);`,
    "seed/01_rows.sql": `INSERT INTO oa_${t} VALUES (1, 'one'), (2, 'two');`,
    "test/all.sql": `SELECT id, name FROM oa_${t} ORDER BY id;`,
    ...heads,
  };
}
const tag = () => crypto.randomUUID().slice(0, 8);

async function create(body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const user = uid("user");
  const res = await hit("POST", "/v1/jobs", "/v1/jobs", {
    body: { request_id: uid("req"), user_id: user, ...body },
    headers,
  });
  expect(res.status).toBe(202);
  return { jobId: res.body.job_id as string, user };
}

/** Long-polls the view until the job ends, checking every answer. */
async function ended(jobId: string, user: string): Promise<Record<string, unknown>> {
  for (;;) {
    const { body } = await hit("GET", "/v1/jobs/{job_id}", `/v1/jobs/${jobId}?wait_ms=30000`, {
      user,
    });
    if (["completed", "failed", "canceled"].includes(body.status as string)) return body;
  }
}

async function digestOf(text: string): Promise<string> {
  const hash = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return `sha256:${[...new Uint8Array(hash)].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

describe("real answers of the running service match the document", () => {
  it("GET /readyz: 200 ready with the platform up", async () => {
    const ready = await hit("GET", "/readyz", "/readyz", { token: null });
    expect([ready.status, ready.body.down]).toEqual([200, []]);
  });

  it("a completed job: view, events (JSON and SSE), webhooks, extension with a pinned layer", async () => {
    const { jobId, user } = await create(
      {
        project_tree: tree(tag()),
        head_path: "test/all.sql",
        webhook: { url: `${receiverUrl()}/ok/${uid("hook")}` },
      },
      { "x-user-plan": "premium" },
    );
    const view = await ended(jobId, user);
    expect(view.status).toBe("completed");
    expect((view.result as { sets: unknown[] }).sets).toHaveLength(1);
    // A page of the stored set, against the ResultPage schema.
    const page = await hit("GET", "/v1/jobs/{job_id}/result", `/v1/jobs/${jobId}/result?set=0`, {
      user,
    });
    expect([page.status, page.body.set_id, page.body.next_after]).toEqual([200, 0, null]);

    const logs = await hit("GET", "/v1/jobs/{job_id}/logs", `/v1/jobs/${jobId}/logs?limit=1000`, {
      user,
    });
    const kinds = new Set((logs.body.events as { type: string }[]).map((e) => e.type));
    expect([...kinds]).toEqual(expect.arrayContaining(["status", "stage", "step", "result"]));
    const sse = await hit("GET", "/v1/jobs/{job_id}/logs", `/v1/jobs/${jobId}/logs`, {
      user,
      headers: SSE,
    });
    expect(sse.status).toBe(200);

    const hooks = await until(
      () => hit("GET", "/v1/jobs/{job_id}/webhooks", `/v1/jobs/${jobId}/webhooks`, { user }),
      (r) => (r.body.attempts as unknown[]).length > 0,
    );
    expect(hooks.status).toBe(200);

    const extended = await hit("POST", "/v1/jobs/{job_id}/extend", `/v1/jobs/${jobId}/extend`, {
      body: { job_ttl: 30 * DAY, snapshot_ttl: 60 * DAY },
      headers: { "x-user-plan": "premium" },
      user,
    });
    expect(extended.status).toBe(200);
    expect(extended.body.layers_pinned_until).not.toBeNull();
    const cancel = await hit("POST", "/v1/jobs/{job_id}/cancel", `/v1/jobs/${jobId}/cancel`, {
      user,
    });
    expect(cancel.body.status).toBe("completed");
  });

  it("heads with on_error continue, psql output and echo; a failed job's head error", async () => {
    const t = tag();
    const bad = `SELECT count(*) AS n FROM oa_${t};\nSELECT nope FROM oa_${t};\n\\echo done\n`;
    const heads = await create({
      project_tree: tree(t, { "test/bad.sql": bad }),
      heads: ["test/"],
      on_error: "continue",
      output: ["json", "psql"],
      echo: "all",
    });
    const view = await ended(heads.jobId, heads.user);
    expect(view.status).toBe("completed");
    const ran = (view.result as { heads: { path: string; errors: unknown[]; output: string }[] })
      .heads;
    expect(ran.map((h) => [h.path, h.errors.length])).toEqual([
      ["test/all.sql", 0],
      ["test/bad.sql", 1],
    ]);
    expect(ran[1]?.output).toContain("done");

    const stopped = await create({
      project_tree: tree(t, { "test/bad.sql": bad }),
      head_path: "test/bad.sql",
    });
    const failed = await ended(stopped.jobId, stopped.user);
    expect((failed.error as { code: string }).code).toBe("head_error");
    const tailError = await create({
      project_tree: { "init/01.sql": "CREATE TABLE;", "test/a.sql": "SELECT 1;" },
      head_path: "test/a.sql",
    });
    const tailFailed = await ended(tailError.jobId, tailError.user);
    expect((tailFailed.error as { code: string }).code).toBe("tail_error");
  });

  it("a long job: append, ticket, WebSocket, run, cancel of a running job", async () => {
    const user = uid("user");
    const created = await hit("POST", "/v1/jobs", "/v1/jobs", {
      body: { request_id: uid("req"), user_id: user, mode: "long" },
    });
    const jobId = created.body.job_id as string;
    const part = { part: 1, project_tree: tree(tag()) };
    const append = () =>
      hit("POST", "/v1/jobs/{job_id}/append", `/v1/jobs/${jobId}/append`, { body: part, user });
    expect((await append()).body.duplicate).toBe(false);
    expect((await append()).body.duplicate).toBe(true);
    const ticket = await hit("POST", "/v1/jobs/{job_id}/ticket", `/v1/jobs/${jobId}/ticket`, {
      user,
    });
    const ws = await upgrade(jobId, { ticket: ticket.body.ticket as string });
    await check.check("GET", "/v1/jobs/{job_id}/ws", ws);
    expect(ws.status).toBe(101);
    const socket = ws.webSocket as WebSocket;
    const terminal = new Promise<void>((resolve) => {
      socket.addEventListener("message", (e) => {
        if (typeof e.data === "string" && e.data.includes('"terminal":true')) resolve();
      });
    });
    socket.accept();
    const run = await hit("POST", "/v1/jobs/{job_id}/run", `/v1/jobs/${jobId}/run`, {
      body: { head_path: "test/all.sql" },
      user,
    });
    expect(run.status).toBe(202);
    await terminal;
    socket.close(1000);
    expect((await ended(jobId, user)).status).toBe("completed");

    const slow = await create({
      project_tree: { "init/01.sql": "SELECT pg_sleep(30);", "test/a.sql": "SELECT 1;" },
      head_path: "test/a.sql",
    });
    const canceled = await hit(
      "POST",
      "/v1/jobs/{job_id}/cancel",
      `/v1/jobs/${slow.jobId}/cancel`,
      {
        user: slow.user,
      },
    );
    expect(canceled.status).toBe(200);
    expect((await ended(slow.jobId, slow.user)).status).toBe("canceled");
  });

  it("blobs: upload what is missing, then a job names every file by etag", async () => {
    const user = uid("user");
    const files = tree(tag());
    const etags: Record<string, { etag: string }> = {};
    for (const [path, text] of Object.entries(files)) etags[path] = { etag: await digestOf(text) };
    const digests = Object.values(etags).map((e) => e.etag);
    const before = await hit("POST", "/v1/blobs/missing", "/v1/blobs/missing", {
      body: { digests },
      user,
    });
    expect(before.body.missing).toHaveLength(digests.length);
    for (const [path, text] of Object.entries(files)) {
      const res = await exports.default.fetch(
        `http://sql-runner.test/v1/blobs/${etags[path]?.etag}`,
        {
          method: "PUT",
          headers: { authorization: `Bearer ${TOKEN}`, "x-user-id": user },
          body: text,
        },
      );
      await check.check("PUT", "/v1/blobs/{digest}", res);
      expect(res.status).toBe(201);
    }
    const after = await hit("POST", "/v1/blobs/missing", "/v1/blobs/missing", {
      body: { digests },
      user,
    });
    expect(after.body.missing).toEqual([]);
    const res = await hit("POST", "/v1/jobs", "/v1/jobs", {
      body: {
        request_id: uid("req"),
        user_id: user,
        project_tree: etags,
        head_path: "test/all.sql",
      },
    });
    expect((await ended(res.body.job_id as string, user)).status).toBe("completed");
  });
});
