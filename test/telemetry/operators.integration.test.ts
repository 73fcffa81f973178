// The operators' view on the real stack (workerd + env-manager + snapshot-cache + the telemetry
// exporter + the audit-log service): after a miss, a hit, a failing head, a cancel and a timeout the
// exporter's /metrics shows the matching counters and histogram counts; one job's trace has a span
// per stage across the Worker, env-manager and snapshot-cache; the audit-log holds a record per
// action and outcome, refusals included. Other test files share the exporter, so counters are
// compared as increases over a scrape taken first.
import { describe, expect, it, vi } from "vitest";
import { call } from "../api/helpers.ts";
import { getJob, project, runToEnd, submit, uid, waitDone, waitFor } from "../jobs/helpers.ts";
import { auditOf, control, eventually, platformLogs, scrape, traceOf } from "./helpers.ts";

type Scrape = Awaited<ReturnType<typeof scrape>>;
const gained = (before: Scrape, after: Scrape, name: string, labels: Record<string, string> = {}) =>
  after.total(name, labels) - before.total(name, labels);

describe("metrics, traces and audit records on the real stack", () => {
  it("counts a miss, a hit, a failing head, a cancel and a timeout", async () => {
    const before = await scrape();
    const tree = project();
    const miss = await runToEnd({ project_tree: tree, head_path: "test/all.sql" });
    expect(miss.status).toBe("completed");
    // After the miss, the others at once (they share its tail, so each looks it up as a hit).
    const sleepy = { ...tree, "test/sleep.sql": "SELECT pg_sleep(60);" };
    const cancelOne = async () => {
      const job = await submit({ project_tree: sleepy, head_path: "test/sleep.sql" });
      await waitFor(job.jobId, job.user, (v) => v.stage === "head_execution");
      const res = await call(`/v1/jobs/${job.jobId}/cancel`, { method: "POST", user: job.user });
      expect(res.status).toBe(200);
      return waitDone(job.jobId, job.user);
    };
    const [hit, failing, canceled, timedOut] = await Promise.all([
      runToEnd({ project_tree: tree, head_path: "test/count.sql" }),
      runToEnd({
        project_tree: { ...tree, "test/bad.sql": "SELECT * FROM no_such_table;" },
        head_path: "test/bad.sql",
      }),
      cancelOne(),
      runToEnd({ project_tree: sleepy, head_path: "test/sleep.sql", timeout_ms: 8000 }),
    ]);
    expect(hit.snapshot?.hit).toBe(true);
    expect(failing.error?.code).toBe("head_error");
    expect(canceled.status).toBe("canceled");
    expect(timedOut.error?.code).toBe("timeout");

    await eventually(async () => {
      const after = await scrape();
      const jobs = (labels: Record<string, string>) =>
        gained(before, after, "sql_runner_jobs_total", labels);
      expect(jobs({ status: "completed", mode: "short" })).toBeGreaterThanOrEqual(2);
      expect(jobs({ status: "failed", code: "head_error" })).toBeGreaterThanOrEqual(1);
      expect(jobs({ status: "failed", code: "timeout" })).toBeGreaterThanOrEqual(1);
      expect(jobs({ status: "canceled", code: "canceled" })).toBeGreaterThanOrEqual(1);
      expect(gained(before, after, "sql_runner_cancels_total")).toBeGreaterThanOrEqual(1);
      expect(gained(before, after, "sql_runner_timeouts_total")).toBeGreaterThanOrEqual(1);
      const lookups = (result: string) =>
        gained(before, after, "sql_runner_cache_lookups_total", { result });
      expect(lookups("miss")).toBeGreaterThanOrEqual(1);
      expect(lookups("hit")).toBeGreaterThanOrEqual(2);
      expect(gained(before, after, "sql_runner_replayed_steps_total")).toBeGreaterThanOrEqual(3);
      expect(gained(before, after, "sql_runner_reused_steps_total")).toBeGreaterThanOrEqual(3);
      expect(
        gained(before, after, "sql_runner_sql_errors_total", {
          where: "head",
          sqlstate_class: "42",
        }),
      ).toBeGreaterThanOrEqual(1);
      const count = (name: string, labels: Record<string, string>) =>
        gained(before, after, `${name}_count`, labels);
      expect(
        count("sql_runner_job_duration_seconds", { status: "completed" }),
      ).toBeGreaterThanOrEqual(2);
      expect(count("sql_runner_job_duration_seconds", { status: "failed" })).toBeGreaterThanOrEqual(
        2,
      );
      for (const stage of [
        "parsing",
        "snapshot_lookup",
        "instance_boot",
        "tail_replay",
        "publishing",
        "head_execution",
      ]) {
        // The timed-out job may end before it reaches the head on a loaded machine.
        const min = stage === "tail_replay" || stage === "publishing" ? 1 : 4;
        expect(count("sql_runner_stage_duration_seconds", { stage }), stage).toBeGreaterThanOrEqual(
          min,
        );
      }
      expect(
        gained(before, after, "sql_runner_instance_boot_seconds_count"),
      ).toBeGreaterThanOrEqual(5);
      expect(
        gained(before, after, "sql_runner_http_requests_total", {
          route: "/v1/jobs",
          status: "202",
        }),
      ).toBeGreaterThanOrEqual(5);
      // Route templates only: no job id ever becomes a label value.
      expect(after.text).not.toContain(miss.jobId);
    });
    // Runs in progress are an up-down gauge (other test files may have runs going right now).
    const settled = await scrape();
    expect(settled.families.find((f) => f.name === "sql_runner_jobs_active")?.type).toBe("GAUGE");
  }, 240_000);

  it("traces one job: a span per stage in the Worker, and env-manager and snapshot-cache spans under them", async () => {
    const traceId = crypto.randomUUID().replaceAll("-", "");
    const gatewaySpan = traceId.slice(0, 16);
    const res = await call("/v1/jobs", {
      body: {
        request_id: uid("req"),
        user_id: uid("user"),
        project_tree: project(),
        head_path: "test/all.sql",
      },
      headers: { traceparent: `00-${traceId}-${gatewaySpan}-01` },
    });
    expect(res.status).toBe(202);
    const { job_id } = await res.json<{ job_id: string }>();
    const spans = await eventually(async () => {
      const all = await traceOf(traceId);
      const names = all.map((s) => s.name);
      for (const stage of [
        "parsing",
        "snapshot_lookup",
        "instance_boot",
        "tail_replay",
        "publishing",
        "head_execution",
      ]) {
        expect(names).toContain(`stage ${stage}`);
      }
      expect(names).toContain("job");
      expect(all.some((s) => s.service === "env-manager")).toBe(true);
      expect(all.some((s) => s.service === "snapshot-cache")).toBe(true);
      return all;
    });
    const job = spans.find((s) => s.name === "job");
    expect(job?.parent_span_id).toBe(gatewaySpan);
    expect(job?.attributes["job.id"]).toBe(job_id);
    expect(job?.attributes["job.status"]).toBe("completed");
    const ids = new Set(spans.map((s) => s.span_id));
    for (const s of spans.filter((x) => x.name.startsWith("stage "))) {
      expect(s.parent_span_id).toBe(job?.span_id);
      expect(s.attributes["job.id"]).toBe(job_id);
    }
    // Every platform span hangs under a span of this trace (a stage's).
    for (const s of spans.filter((x) => x.service !== "sql-runner")) {
      expect(ids.has(s.parent_span_id ?? "")).toBe(true);
    }
    const boot = spans.find((s) => s.name === "stage instance_boot");
    expect(
      spans.some((s) => s.service === "env-manager" && s.parent_span_id === boot?.span_id),
    ).toBe(true);
  }, 180_000);

  it("audits each action and outcome once, refusals too (401, 404 on another user's job, 409)", async () => {
    const user = uid("user");
    const body = {
      request_id: uid("req"),
      user_id: user,
      project_tree: project(),
      head_path: "test/all.sql",
    };
    const created = await call("/v1/jobs", { body });
    expect(created.status).toBe(202);
    const { job_id } = await created.json<{ job_id: string }>();
    await waitDone(job_id, user);
    const intruder = uid("intruder");
    expect((await call(`/v1/jobs/${job_id}`, { user: intruder })).status).toBe(404);
    expect(
      (await call(`/v1/jobs/${job_id}/cancel`, { method: "POST", user: intruder })).status,
    ).toBe(404);
    const conflict = await call("/v1/jobs", { body: { ...body, head_path: "test/count.sql" } });
    expect(conflict.status).toBe(409);
    expect((await call(`/v1/jobs/${job_id}`, { user, token: "wrong" })).status).toBe(401);
    expect((await call(`/v1/jobs/${job_id}/ticket`, { method: "POST", user })).status).toBe(200);

    const records = await eventually(async () => {
      const got = await auditOf({ job_id });
      const summary = got.map((r) => `${r.action} ${r.status ?? "-"} ${r.user_id ?? "-"}`);
      expect(summary).toEqual(
        expect.arrayContaining([
          `job.create 202 ${user}`,
          `job.completed - ${user}`,
          `job.view 404 ${intruder}`,
          `job.cancel 404 ${intruder}`,
          `job.create 409 ${user}`,
          "job.view 401 -",
          `job.ticket 200 ${user}`,
        ]),
      );
      return got;
    });
    expect(new Set(records.map((r) => r.id)).size).toBe(records.length);
    const outcome = records.find((r) => r.action === "job.completed");
    expect(outcome).toMatchObject({
      result: "ok",
      job_id,
      trace_id: job_id,
      request_id: body.request_id,
    });
    const refused = records.find((r) => r.action === "job.view" && r.status === 404);
    expect(refused).toMatchObject({
      result: "refused",
      route: "/v1/jobs/:job_id",
      method: "GET",
      code: "not_found",
    });
    const create = records.find((r) => r.action === "job.create" && r.status === 202);
    expect(create?.request_id).toBe(body.request_id);
    // A successful read is not an action worth a record.
    expect(records.filter((r) => r.action === "job.view" && r.status === 200)).toHaveLength(0);
    expect((await getJob(job_id, user)).status).toBe("completed");
  }, 180_000);

  it("never lets a marker from SQL, variables or rows reach a log line, metric, span or audit record", async () => {
    const marker = `mk${crypto.randomUUID().replaceAll("-", "")}`;
    // The platform services (env-manager, snapshot-cache, exporter, audit-log) log into a ring.
    const platformFrom = (await platformLogs(0)).next;
    const lines: string[] = [];
    const spies = (["log", "info", "warn", "error", "debug"] as const).map((level) =>
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        lines.push(args.map(String).join(" "));
      }),
    );
    const table = `t_${marker}`;
    const tree = {
      [`init/01_${marker}.sql`]: `-- ${marker}\nCREATE TABLE ${table} (v text);`,
      "seed/01_rows.sql": `INSERT INTO ${table} VALUES ('${marker}');`,
      "test/read.sql": `SELECT v, :'secret' AS s FROM ${table};`,
      "test/bad.sql": `SELECT ${marker}_missing FROM ${table};`,
    };
    let jobs: string[] = [];
    try {
      const ok = await runToEnd({
        project_tree: tree,
        head_path: "test/read.sql",
        variables: { secret: marker },
      });
      expect(ok.status).toBe("completed");
      expect(JSON.stringify(ok.result)).toContain(marker);
      const bad = await runToEnd({
        project_tree: tree,
        head_path: "test/bad.sql",
        variables: { secret: marker },
      });
      expect(bad.error?.code).toBe("head_error");
      jobs = [ok.jobId, bad.jobId];
      // Wait for what the jobs report, so there is something to search.
      await eventually(async () => {
        for (const job of jobs) {
          expect((await auditOf({ job_id: job })).map((r) => r.action)).toContain(
            job === ok.jobId ? "job.completed" : "job.failed",
          );
          expect((await traceOf(job)).map((s) => s.name)).toContain("job");
        }
      });
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    // The spies did see the jobs' lines (the check below is not vacuous).
    expect(lines.some((l) => l.includes(jobs[0] ?? "none") && l.includes("job_finished"))).toBe(
      true,
    );
    for (const line of lines) expect(line).not.toContain(marker);
    // Theirs too: one JSON object per line, and each job's trace id (its id) reached them, so the
    // search below covers the calls the jobs made.
    const platform = (await platformLogs(platformFrom)).lines;
    expect(platform.length).toBeGreaterThan(0);
    for (const line of platform) {
      expect(JSON.parse(line)).toMatchObject({
        level: expect.any(String),
        event: expect.any(String),
        ts: expect.any(String),
      });
    }
    for (const job of jobs) {
      expect(platform.some((l) => (JSON.parse(l) as { trace_id?: string }).trace_id === job)).toBe(
        true,
      );
    }
    for (const line of platform) expect(line).not.toContain(marker);
    expect((await scrape()).text).not.toContain(marker);
    for (const job of jobs) {
      expect(JSON.stringify(await traceOf(job))).not.toContain(marker);
      expect(JSON.stringify(await auditOf({ job_id: job }))).not.toContain(marker);
    }
  }, 180_000);

  // Last in this file: it stops and restarts the shared exporter and audit-log.
  it("jobs complete with the exporter and the audit-log down; their records and spans arrive once they are back", async () => {
    await control("exporter", "stop");
    await control("audit-log", "stop");
    let job: { jobId: string; status: string };
    try {
      job = await runToEnd({ project_tree: project(), head_path: "test/all.sql" });
      expect(job.status).toBe("completed");
    } finally {
      await control("audit-log", "start");
      await control("exporter", "start");
    }
    // The queue retried the batch: the records arrive, each once.
    const records = await eventually(async () => {
      const got = await auditOf({ job_id: job.jobId });
      expect(got.map((r) => r.action)).toEqual(
        expect.arrayContaining(["job.create", "job.completed"]),
      );
      return got;
    }, 150_000);
    expect(new Set(records.map((r) => r.id)).size).toBe(records.length);
    // The Worker kept the spans and metric deltas it could not export, and sends them now.
    await eventually(async () => {
      await call("/healthz");
      expect((await traceOf(job.jobId)).map((s) => s.name)).toContain("job");
      expect(
        (await scrape()).total("sql_runner_jobs_total", { status: "completed" }),
      ).toBeGreaterThanOrEqual(1);
    });
  }, 240_000);
});
