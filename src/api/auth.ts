// Gateway authentication: `Authorization: Bearer <GATEWAY_TOKEN>`, compared in constant time
// (both sides hashed first, so the lengths never differ).
import type { MiddlewareHandler } from "hono";
import { AppError } from "../errors.ts";

const encoder = new TextEncoder();

async function digest(text: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", encoder.encode(text));
}

async function tokenMatches(given: string, expected: string): Promise<boolean> {
  if (!expected) return false;
  const [a, b] = await Promise.all([digest(given), digest(expected)]);
  return crypto.subtle.timingSafeEqual(a, b);
}

/** True when an `Authorization` header carries the gateway's bearer token. */
export async function hasGatewayToken(
  authorization: string | null | undefined,
  env: Env,
): Promise<boolean> {
  const match = /^Bearer (\S+)$/i.exec((authorization ?? "").trim());
  return match?.[1] !== undefined && (await tokenMatches(match[1], env.GATEWAY_TOKEN));
}

export function requireGateway(): MiddlewareHandler<{ Bindings: Env }> {
  return async (c, next) => {
    if (!(await hasGatewayToken(c.req.header("authorization"), c.env))) {
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

/** `X-User-Id` as `c.var.user`, checked before a route reads its body (the order of the API). */
export const actingUser: MiddlewareHandler<{ Bindings: Env; Variables: { user: string } }> = async (
  c,
  next,
) => {
  c.set("user", userFromHeader(c.req.header("x-user-id")));
  await next();
};
