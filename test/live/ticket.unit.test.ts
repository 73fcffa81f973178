import { describe, expect, it } from "vitest";
import { AppError } from "../../src/errors.ts";
import { signTicket, verifyTicket } from "../../src/live/ticket.ts";

const SECRET = "test-secret";
const NOW = 1_800_000_000;

async function rejection(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error("expected a rejection");
}

describe("subscription tickets", () => {
  it("verifies a ticket for its own job and returns its claims", async () => {
    const t = await signTicket(SECRET, { job: "j1", user: "u1", exp: NOW + 60 });
    await expect(verifyTicket(SECRET, t, { job: "j1", nowSeconds: NOW })).resolves.toEqual({
      job: "j1",
      user: "u1",
      exp: NOW + 60,
    });
  });

  it("refuses an expired ticket", async () => {
    const t = await signTicket(SECRET, { job: "j1", user: "u1", exp: NOW });
    const err = await rejection(verifyTicket(SECRET, t, { job: "j1", nowSeconds: NOW }));
    expect([err.status, err.code]).toEqual([401, "ticket_expired"]);
  });

  it("refuses a ticket of another job", async () => {
    const t = await signTicket(SECRET, { job: "j2", user: "u1", exp: NOW + 60 });
    const err = await rejection(verifyTicket(SECRET, t, { job: "j1", nowSeconds: NOW }));
    expect([err.status, err.code]).toEqual([403, "ticket_mismatch"]);
  });

  it("refuses a ticket signed with another secret", async () => {
    const t = await signTicket("other-secret", { job: "j1", user: "u1", exp: NOW + 60 });
    const err = await rejection(verifyTicket(SECRET, t, { job: "j1", nowSeconds: NOW }));
    expect([err.status, err.code]).toEqual([401, "invalid_ticket"]);
  });

  it("refuses claims edited after signing", async () => {
    const t = await signTicket(SECRET, { job: "j1", user: "u1", exp: NOW + 60 });
    const [, mac] = t.split(".");
    const forged = btoa(JSON.stringify({ job: "j1", user: "u2", exp: NOW + 60 }))
      .replace(/\+/g, "-")
      .replace(/\//g, "_")
      .replace(/=+$/, "");
    const err = await rejection(
      verifyTicket(SECRET, `${forged}.${mac}`, { job: "j1", nowSeconds: NOW }),
    );
    expect(err.code).toBe("invalid_ticket");
  });

  it.each(["", "abc", "a.b.c", "!!.??", "e30.AAAA"])(
    "refuses the malformed ticket %j",
    async (t) => {
      const err = await rejection(verifyTicket(SECRET, t, { job: "j1", nowSeconds: NOW }));
      expect([err.status, err.code]).toEqual([401, "invalid_ticket"]);
    },
  );
});
