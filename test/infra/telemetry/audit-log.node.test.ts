// The reference audit-log service over HTTP: batches are appended once per record id (a repeated
// delivery adds nothing), queries filter by job, user and cursor, the table refuses UPDATE and
// DELETE, and records survive a restart.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuditLogHandle, startAuditLog } from "../../../infra/local-dev/audit-log/server.ts";
import type { AuditRecord } from "../../../src/clients/contracts/audit-log.ts";
import { toAuditRecord } from "../../../src/telemetry/audit-record.ts";

const TOKEN = "audit-test-token";
let dir: string;
let service: AuditLogHandle;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "audit-log-test-"));
  service = await startAuditLog({ dbPath: join(dir, "audit.sqlite"), token: TOKEN });
});
afterAll(async () => {
  await service.close();
  await rm(dir, { recursive: true, force: true });
});

function record(job: string, user: string, action: AuditRecord["action"]): AuditRecord {
  return toAuditRecord(
    {
      action,
      result: "ok",
      job_id: job,
      user_id: user,
      route: "/v1/jobs",
      method: "POST",
      status: 202,
    },
    null,
  );
}

async function post(records: AuditRecord[], token = TOKEN): Promise<Response> {
  return fetch(`${service.url}/v1/audit`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ records }),
  });
}

async function query(q: string) {
  const get = () =>
    fetch(`${service.url}/v1/audit?${q}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  // After a restart the client's pooled keep-alive socket is dead: one retry on a fresh one.
  const res = await get().catch(get);
  expect(res.status).toBe(200);
  return (await res.json()) as {
    records: Array<AuditRecord & { seq: number }>;
    next_after: number;
  };
}

describe("audit-log service", () => {
  it("appends each record once, however often it is delivered", async () => {
    const batch = [
      record("job-a", "alice", "job.create"),
      record("job-a", "alice", "job.run"),
      record("job-b", "bob", "job.create"),
    ];
    const first = await post(batch);
    expect(await first.json()).toEqual({ received: 3, added: 3 });
    const again = await post([...batch, record("job-a", "alice", "job.completed")]);
    expect(await again.json()).toEqual({ received: 4, added: 1 });
    const a = await query("job_id=job-a");
    expect(a.records.map((r) => r.action)).toEqual(["job.create", "job.run", "job.completed"]);
    const bob = await query("user_id=bob");
    expect(bob.records.map((r) => r.job_id)).toEqual(["job-b"]);
    const page = await query(`job_id=job-a&after=${a.records[0]?.seq}`);
    expect(page.records.map((r) => r.action)).toEqual(["job.run", "job.completed"]);
    expect(page.next_after).toBe(a.records[2]?.seq);
  });

  it("refuses a wrong token (401) and a record carrying extra fields (400)", async () => {
    expect((await post([record("x", "y", "job.view")], "wrong")).status).toBe(401);
    const withSql = { ...record("x", "y", "job.view"), sql: "select 1" };
    const res = await post([withSql as AuditRecord]);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
      "validation_failed",
    );
  });

  it("caps a batch at 1,000 records, a field at 200 characters, a body at 2 MiB and limit at 1,000", async () => {
    const batch = (n: number) =>
      Array.from({ length: n }, (_, i) => record(`cap-${i}`, "cap-user", "job.view"));
    const errorOf = async (res: Response) =>
      ((await res.json()) as { error: { code: string; message: string } }).error;
    const many = await post(batch(1001));
    expect(many.status).toBe(400);
    expect(await errorOf(many)).toMatchObject({ code: "validation_failed" });
    expect((await post(batch(1000))).status).toBe(200);
    const long = await post([{ ...record("x", "y", "job.view"), route: "r".repeat(201) }]);
    expect(long.status).toBe(400);
    expect((await errorOf(long)).message).toContain("route");
    const big = await fetch(`${service.url}/v1/audit`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ records: [], pad: "x".repeat(2 * 1024 * 1024) }),
    });
    expect(big.status).toBe(413);
    expect(await errorOf(big)).toMatchObject({
      code: "payload_too_large",
      message: `body over ${2 * 1024 * 1024} bytes`,
    });
    const page = await fetch(`${service.url}/v1/audit?limit=1001`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(page.status).toBe(400);
    expect((await errorOf(page)).message).toContain("limit");
  });

  it("is append-only on disk and keeps its records across a restart", async () => {
    const db = new DatabaseSync(join(dir, "audit.sqlite"));
    expect(() => db.exec("UPDATE audit SET action = 'job.view'")).toThrow(/append-only/);
    expect(() => db.exec("DELETE FROM audit")).toThrow(/append-only/);
    db.close();
    const port = service.port;
    await service.close();
    service = await startAuditLog({ port, dbPath: join(dir, "audit.sqlite"), token: TOKEN });
    expect((await query("job_id=job-a")).records).toHaveLength(3);
  });
});
