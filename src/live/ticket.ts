// Short-lived subscription tickets. Browsers cannot put an Authorization header on a WebSocket,
// so the gateway (which can) asks for a ticket bound to one job and one user, and the frontend
// passes it as `?ticket=`. Format: base64url(JSON claims) "." base64url(HMAC-SHA256(claims)).
import { AppError } from "../errors.ts";

export interface TicketClaims {
  /** Public job id. */
  job: string;
  /** The user the gateway vouched for. */
  user: string;
  /** Expiry, Unix seconds. */
  exp: number;
}

/** Default lifetime of a ticket: long enough to open a socket, short enough to be useless later. */
export const TICKET_TTL_SECONDS = 60;

const encoder = new TextEncoder();

function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  try {
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

async function hmacKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign", "verify"],
  );
}

export async function signTicket(secret: string, claims: TicketClaims): Promise<string> {
  const body = encoder.encode(JSON.stringify(claims));
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(secret), body);
  return `${toBase64Url(body)}.${toBase64Url(new Uint8Array(mac))}`;
}

/**
 * Checks a ticket's signature, expiry, job and user. Throws 401 `invalid_ticket` for a forged or
 * malformed ticket, 401 `ticket_expired` for an old one, and 403 `ticket_mismatch` for a ticket of
 * another job or user. `crypto.subtle.verify` compares in constant time.
 */
export async function verifyTicket(
  secret: string,
  ticket: string,
  expected: { job: string; nowSeconds?: number },
): Promise<TicketClaims> {
  const [bodyPart, macPart, extra] = ticket.split(".");
  const body = bodyPart === undefined ? null : fromBase64Url(bodyPart);
  const mac = macPart === undefined ? null : fromBase64Url(macPart);
  if (extra !== undefined || !body || !mac) {
    throw new AppError(401, "invalid_ticket", "The ticket is malformed.");
  }
  const ok = await crypto.subtle.verify("HMAC", await hmacKey(secret), mac, body);
  if (!ok) throw new AppError(401, "invalid_ticket", "The ticket's signature does not verify.");
  const claims = parseClaims(new TextDecoder().decode(body));
  const now = expected.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (claims.exp <= now) throw new AppError(401, "ticket_expired", "The ticket has expired.");
  if (claims.job !== expected.job) {
    throw new AppError(403, "ticket_mismatch", "The ticket was issued for another job.");
  }
  return claims;
}

function parseClaims(text: string): TicketClaims {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AppError(401, "invalid_ticket", "The ticket is malformed.");
  }
  if (
    typeof value === "object" &&
    value !== null &&
    "job" in value &&
    "user" in value &&
    "exp" in value &&
    typeof value.job === "string" &&
    typeof value.user === "string" &&
    typeof value.exp === "number"
  ) {
    return { job: value.job, user: value.user, exp: value.exp };
  }
  throw new AppError(401, "invalid_ticket", "The ticket is malformed.");
}
