// Pure pieces of the live channel: SSE frames, resume cursors, ticket URLs, the terminal marker.
import { describe, expect, it } from "vitest";
import { issueTicket, parseCursor } from "../../src/api/live-access.ts";
import { AppError } from "../../src/errors.ts";
import type { JobEvent } from "../../src/jobs/model.ts";
import { formatSse, isTerminalEvent } from "../../src/live/hub.ts";
import { verifyTicket } from "../../src/live/ticket.ts";

const event: JobEvent = {
  seq: 7,
  type: "status",
  ts: "2026-11-26T12:00:00.000Z",
  data: { status: "completed", terminal: true },
};

describe("live formatting", () => {
  it("formats an SSE frame with id = seq and the JSON event as data (no event name)", () => {
    expect(formatSse(event)).toBe(`id: 7\ndata: ${JSON.stringify(event)}\n\n`);
  });

  it("marks only a terminal status event as the last one", () => {
    expect(isTerminalEvent(event)).toBe(true);
    expect(isTerminalEvent({ ...event, data: { status: "running" } })).toBe(false);
    expect(isTerminalEvent({ ...event, type: "log", data: { terminal: true } })).toBe(false);
  });

  it("parses resume cursors and names the offending field", () => {
    expect(parseCursor(null, "after")).toBe(0);
    expect(parseCursor(" 42 ", "after")).toBe(42);
    for (const bad of ["-1", "1.5", "x", "1e3", "99999999999999999999"]) {
      let caught: unknown;
      try {
        parseCursor(bad, "Last-Event-ID");
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(AppError);
      expect((caught as AppError).code).toBe("validation_failed");
      expect((caught as AppError).message).toContain("Last-Event-ID");
    }
  });

  it("issues a verifiable ticket and a wss:// URL behind https", async () => {
    const env = { TICKET_SECRET: "s" } as Env;
    const issued = await issueTicket(
      env,
      "abc",
      "u1",
      "https://runner.example/v1/jobs/abc/ticket",
      1_800_000_000_000,
    );
    expect(issued.ws_url).toBe(`wss://runner.example/v1/jobs/abc/ws?ticket=${issued.ticket}`);
    expect(issued.expires_at).toBe(new Date(1_800_000_060_000).toISOString());
    await expect(
      verifyTicket("s", issued.ticket, { job: "abc", nowSeconds: 1_800_000_000 }),
    ).resolves.toMatchObject({ job: "abc", user: "u1" });
  });

  it("refuses to issue tickets without a secret", async () => {
    const env = { TICKET_SECRET: "" } as Env;
    await expect(issueTicket(env, "abc", "u1", "http://x/")).rejects.toMatchObject({
      status: 503,
      code: "tickets_unavailable",
    });
  });
});
