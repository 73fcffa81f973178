// Tickets: issued only to the job's owner through the gateway; expired, forged, other-job and
// other-user tickets are refused with the JSON error shape before any upgrade (never a 101).
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { signTicket, TICKET_TTL_SECONDS } from "../../src/live/ticket.ts";
import { call, errorOf, uid } from "../api/helpers.ts";
import { longJob, subscribe, upgrade } from "./helpers.ts";

const now = () => Math.floor(Date.now() / 1000);

async function refusal(res: Response): Promise<{ status: number; code: string; message: string }> {
  expect(res.webSocket).toBeNull();
  expect(res.headers.get("content-type")).toContain("application/json");
  const error = await errorOf(res);
  return { status: res.status, code: error.code, message: error.message };
}

describe("live tickets", () => {
  it("issues a ticket to the owner, with its expiry and the WebSocket URL to open", async () => {
    const job = await longJob();
    const res = await call(`/v1/jobs/${job.jobId}/ticket`, { method: "POST", user: job.user });
    expect(res.status).toBe(200);
    const body = await res.json<{ ticket: string; expires_at: string; ws_url: string }>();
    const ttl = (Date.parse(body.expires_at) - Date.now()) / 1000;
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(TICKET_TTL_SECONDS);
    const url = new URL(body.ws_url);
    expect(url.protocol).toBe("ws:");
    expect(url.pathname).toBe(`/v1/jobs/${job.jobId}/ws`);
    expect(url.searchParams.get("ticket")).toBe(body.ticket);
    const sub = await subscribe(job.jobId, { ticket: body.ticket });
    await sub.reached(1);
    expect(sub.events[0]?.data).toMatchObject({ status: "pending" });
    sub.ws.close(1000);
  });

  it("refuses a ticket to another user (404, like a missing job) and without the gateway token (401)", async () => {
    const job = await longJob();
    const other = await call(`/v1/jobs/${job.jobId}/ticket`, { method: "POST", user: uid("user") });
    expect(other.status).toBe(404);
    expect((await errorOf(other)).code).toBe("not_found");
    const anonymous = await call(`/v1/jobs/${job.jobId}/ticket`, {
      method: "POST",
      user: job.user,
      token: null,
    });
    expect(anonymous.status).toBe(401);
    expect((await errorOf(anonymous)).code).toBe("unauthorized");
  });

  it("refuses expired, forged, other-job and other-user tickets before the upgrade", async () => {
    const job = await longJob();
    const otherJob = await longJob();
    const secret = env.TICKET_SECRET;

    const expired = await signTicket(secret, { job: job.jobId, user: job.user, exp: now() - 1 });
    expect(await refusal(await upgrade(job.jobId, { ticket: expired }))).toMatchObject({
      status: 401,
      code: "ticket_expired",
    });

    const forgedSecret = await signTicket("not-the-secret", {
      job: job.jobId,
      user: job.user,
      exp: now() + 60,
    });
    expect(await refusal(await upgrade(job.jobId, { ticket: forgedSecret }))).toMatchObject({
      status: 401,
      code: "invalid_ticket",
    });

    // A genuine ticket whose claims were edited (another user) no longer verifies.
    const genuine = await signTicket(secret, { job: job.jobId, user: job.user, exp: now() + 60 });
    const [, mac] = genuine.split(".");
    const edited = `${btoa(JSON.stringify({ job: job.jobId, user: "mallory", exp: now() + 60 })).replace(/=+$/, "")}.${mac}`;
    expect(await refusal(await upgrade(job.jobId, { ticket: edited }))).toMatchObject({
      status: 401,
      code: "invalid_ticket",
    });
    expect(await refusal(await upgrade(job.jobId, { ticket: "garbage" }))).toMatchObject({
      status: 401,
      code: "invalid_ticket",
    });

    const forOtherJob = await signTicket(secret, {
      job: otherJob.jobId,
      user: otherJob.user,
      exp: now() + 60,
    });
    const mismatch = await refusal(await upgrade(job.jobId, { ticket: forOtherJob }));
    expect(mismatch).toMatchObject({ status: 403, code: "ticket_mismatch" });
    expect(mismatch.message).toContain("another job");

    const otherUser = await signTicket(secret, {
      job: job.jobId,
      user: uid("user"),
      exp: now() + 60,
    });
    expect(await refusal(await upgrade(job.jobId, { ticket: otherUser }))).toMatchObject({
      status: 404,
      code: "not_found",
    });

    expect(await refusal(await upgrade(job.jobId, {}))).toMatchObject({
      status: 401,
      code: "unauthorized",
    });
    expect(
      await refusal(
        await upgrade(job.jobId, {}, { authorization: "Bearer wrong", "x-user-id": job.user }),
      ),
    ).toMatchObject({ status: 401, code: "unauthorized" });
  });

  it("refuses a bad cursor, a plain GET and an unknown job without upgrading", async () => {
    const job = await longJob();
    const secret = env.TICKET_SECRET;
    const ticket = await signTicket(secret, { job: job.jobId, user: job.user, exp: now() + 60 });
    const bad = await refusal(await upgrade(job.jobId, { ticket, after: "-3" }));
    expect(bad).toMatchObject({ status: 400, code: "validation_failed" });
    expect(bad.message).toContain("after");

    const plain = await call(`/v1/jobs/${job.jobId}/ws?ticket=${encodeURIComponent(ticket)}`);
    expect(plain.status).toBe(426);
    expect((await errorOf(plain)).code).toBe("upgrade_required");

    const ghost = "0".repeat(32);
    const ghostTicket = await signTicket(secret, { job: ghost, user: job.user, exp: now() + 60 });
    expect(await refusal(await upgrade(ghost, { ticket: ghostTicket }))).toMatchObject({
      status: 404,
      code: "not_found",
    });
  });
});
