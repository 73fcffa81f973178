// Gateway authentication: `Authorization: Bearer <GATEWAY_TOKEN>`, compared in constant time
// (both sides hashed first, so the lengths never differ).
import type { MiddlewareHandler } from "hono";
import { AppError } from "../errors.ts";

const encoder = new TextEncoder();

async function digest(text: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", encoder.encode(text));
}

export async function tokenMatches(given: string, expected: string): Promise<boolean> {
  if (!expected) return false;
  const [a, b] = await Promise.all([digest(given), digest(expected)]);
  return crypto.subtle.timingSafeEqual(a, b);
}

export function requireGateway(): MiddlewareHandler<{ Bindings: Env }> {
  return async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer (\S+)$/i.exec(header.trim());
    if (!match?.[1] || !(await tokenMatches(match[1], c.env.GATEWAY_TOKEN))) {
      throw new AppError(401, "unauthorized", "missing or invalid bearer token");
    }
    await next();
  };
}

/** The acting user of a call on an existing job: the `X-User-Id` header. */
export function userFromHeader(header: string | undefined): string {
  const user = header?.trim();
  if (!user) throw new AppError(400, "missing_user_id", "header X-User-Id is required");
  if (user.length > 200) throw new AppError(400, "validation_failed", "header X-User-Id too long");
  return user;
}
