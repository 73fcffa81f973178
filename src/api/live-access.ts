// The worker's side of live subscriptions: who is asking (a ticket, or the gateway itself), the
// resume cursor, and issuing tickets. Everything here refuses before any upgrade happens.

import { AppError } from "../errors.ts";
import { signTicket, TICKET_TTL_SECONDS, verifyTicket } from "../live/ticket.ts";
import { hasGatewayToken, userFromHeader } from "./auth.ts";

function ticketSecret(env: Env): string {
  if (!env.TICKET_SECRET) {
    throw new AppError(503, "tickets_unavailable", "live tickets are not configured");
  }
  return env.TICKET_SECRET;
}

/**
 * The user a subscription request acts for: the ticket's user when `?ticket=` is given (checked:
 * signature, expiry, job), else the gateway bearer token with `X-User-Id`. Throws 401/403.
 */
export async function subscriberOf(env: Env, request: Request, jobId: string): Promise<string> {
  const ticket = new URL(request.url).searchParams.get("ticket");
  if (ticket !== null) {
    const claims = await verifyTicket(ticketSecret(env), ticket, { job: jobId });
    return claims.user;
  }
  if (!(await hasGatewayToken(request.headers.get("authorization"), env))) {
    throw new AppError(
      401,
      "unauthorized",
      "a ticket (?ticket=) or the gateway bearer token is required",
    );
  }
  return userFromHeader(request.headers.get("x-user-id") ?? undefined);
}

/** A resume cursor (`after`, `Last-Event-ID`): a non-negative integer seq; absent means 0. */
export function parseCursor(value: string | null | undefined, field: string): number {
  if (value === null || value === undefined || value.trim() === "") return 0;
  const n = Number(value.trim());
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) {
    throw new AppError(400, "validation_failed", `${field}: must be a non-negative integer seq`, {
      field,
    });
  }
  return n;
}

export interface IssuedTicket {
  ticket: string;
  expires_at: string;
  ws_url: string;
}

/** Signs a ticket for `user` on `jobId` (the caller checked ownership) and the URL to open. */
export async function issueTicket(
  env: Env,
  jobId: string,
  user: string,
  requestUrl: string,
  nowMs = Date.now(),
): Promise<IssuedTicket> {
  const exp = Math.floor(nowMs / 1000) + TICKET_TTL_SECONDS;
  const ticket = await signTicket(ticketSecret(env), { job: jobId, user, exp });
  const url = new URL(`/v1/jobs/${encodeURIComponent(jobId)}/ws`, requestUrl);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.searchParams.set("ticket", ticket);
  return { ticket, expires_at: new Date(exp * 1000).toISOString(), ws_url: url.toString() };
}
