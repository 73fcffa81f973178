// How a route of the API is declared: `openApiRoute(app, createRoute({...}), handler)`. The route
// definition (path, operationId, parameters, body, every status it answers with its schema) is
// both what hono mounts and what the OpenAPI document is generated from (src/api/openapi.ts), and
// the handler's type only admits the bodies and statuses the definition lists.
//
// What @hono/zod-openapi validates itself: path and query parameters; a failure goes through the
// apps' defaultHook to the one 400 `validation_failed` of src/api/errors.ts. The JSON body is
// declared on the route like any other, but read here the service's way, because the library's
// own body validator would answer differently: 415 for a body sent without
// `Content-Type: application/json` (`curl -d` sends a form type), its own 400 for malformed
// JSON instead of `invalid_json`, and no refusal of `__proto__` keys and NUL characters
// (reserved-keys.ts). Headers (X-User-Id, X-User-Plan) are documented as `parameters` and read
// by the routes' middleware, whose codes (`missing_user_id`) and order are part of the API.
import { OpenAPIHono, type RouteConfig, type RouteHandler, type z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { AppError } from "../errors.ts";
import { validationError } from "./errors.ts";
import { refuseUnrepresentable } from "./reserved-keys.ts";
import { ErrorBody, InternalErrorBody } from "./schemas.ts";

export type ApiEnv = { Bindings: Env };

const WHERE: Record<string, string> = { param: "path", query: "query", json: "body" };

/**
 * A group of routes (mounted with `app.route`, which carries their definitions into the app's).
 * Its defaultHook turns every zod failure of a declared parameter into the repo's 400
 * `validation_failed` (src/api/errors.ts) instead of the library's own answer.
 */
export function apiRoutes<E extends ApiEnv = ApiEnv>(): OpenAPIHono<E> {
  return new OpenAPIHono<E>({
    defaultHook: (result) => {
      if (!result.success) {
        throw validationError(result.error, WHERE[result.target] ?? result.target);
      }
    },
  });
}

export async function readJson<T extends z.ZodType>(
  req: Request,
  schema: T,
  optional = false,
): Promise<z.infer<T>> {
  // The byte limit was applied while the body arrived (limitBody, src/limits/body.ts).
  const text = await req.text();
  let value: unknown;
  if (optional && text.trim() === "") value = {};
  else {
    try {
      value = JSON.parse(text);
    } catch {
      throw new AppError(400, "invalid_json", "body is not valid JSON");
    }
  }
  refuseUnrepresentable(value);
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw validationError(parsed.error);
  return parsed.data;
}

/** The route's declared JSON body, read by `readJson`, then `c.req.valid("json")` as usual. */
function jsonBody(schema: z.ZodType, optional: boolean): MiddlewareHandler {
  return async (c, next) => {
    c.req.addValidatedData("json", (await readJson(c.req.raw, schema, optional)) as object);
    await next();
  };
}

/** Mounts `handler` for `route` on `app` and adds the route to the app's OpenAPI definitions. */
export function openApiRoute<R extends RouteConfig, E extends ApiEnv>(
  app: OpenAPIHono<E>,
  route: R,
  handler: RouteHandler<R, E>,
): void {
  const { middleware, request, ...described } = route;
  const { body, ...validated } = request ?? {};
  const media = body?.content["application/json"];
  const json = media && "schema" in media ? media.schema : undefined;
  const reader = json ? [jsonBody(json as z.ZodType, body?.required !== true)] : [];
  const before = middleware === undefined ? [] : [middleware].flat();
  app.openAPIRegistry.registerPath({ ...described, ...(request ? { request } : {}) });
  app.openapi(
    { ...described, request: validated, middleware: [...before, ...reader], hide: true } as R,
    handler as never,
  );
}

/** A JSON answer of `schema`. */
export function json<S extends z.ZodType>(schema: S, description: string) {
  return { description, content: { "application/json": { schema } } } as const;
}

const errorJson = json(ErrorBody, "error (see docs/api.md for every code)");

type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 411 | 413 | 422 | 426 | 503;

/**
 * The listed 4xx/503 answers, each the one error shape, and the 500 every route can answer (a
 * bug: `error.id` names the log line with the cause, docs/operations.md).
 */
export function errors<const S extends ErrorStatus[]>(...statuses: S) {
  const out = {} as Record<S[number], typeof errorJson>;
  for (const s of statuses) out[s as S[number]] = errorJson;
  return {
    ...out,
    500: json(
      InternalErrorBody,
      "internal: a bug; the message says nothing more, `error.id` names the log line",
    ),
  };
}

/** 429 too_many_subscribers: the job has as many live subscribers as it takes (docs/limits.md). */
export const tooManySubscribers = {
  429: json(
    ErrorBody,
    "too_many_subscribers: the job has as many WebSocket subscribers or SSE streams as it takes at once; `limit_name` and `limit` say which",
  ),
};

/** 429 too_many_jobs: the admission queue is full (docs/limits.md); Retry-After says when. */
export const tooManyJobs = {
  429: {
    ...json(
      ErrorBody,
      "too_many_jobs: the user's or the service's admission queue is full; `limit_name`, `limit` and `retry_after_s` say which and when",
    ),
    headers: {
      "Retry-After": {
        description: "seconds to wait before trying again",
        schema: { type: "integer" as const, minimum: 1 },
      },
    },
  },
};
