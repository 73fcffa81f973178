// The development page-session API (enabled by PLAYGROUND_SESSIONS=dev, which only `npm start`
// sets): what a gateway does for the playground page, done with the local gateway token. The page
// names its browser session in `X-Play-Session`; its jobs belong to the user `play-<session>`.
//   POST /play/api/jobs              { project_tree, head_path, variables } -> { job_id, ticket, ws_url }
//   GET  /play/api/jobs/:id          the job view
//   POST /play/api/jobs/:id/cancel   cancel
//   POST /play/api/jobs/:id/ticket   a fresh ticket (reconnects)
//   POST /play/api/jobs/:id/diagnose { ticket } -> why a socket with that ticket was refused
import { type Context, Hono } from "hono";
import { AppError } from "../errors.ts";
import { limitBody } from "../limits/body.ts";
import { verifyTicket } from "../live/ticket.ts";

type App = { Bindings: Env };
/** Dispatches a request to the Worker's own routes (the jobs API), in the context of `c`. */
export type Forward = (request: Request, c: Context<App>) => Promise<Response>;

const SESSION = /^[A-Za-z0-9_-]{8,64}$/;
const JOB = /^[0-9a-f]{32}$/;

function userOf(request: Request): string {
  const session = request.headers.get("x-play-session") ?? "";
  if (!SESSION.test(session)) {
    throw new AppError(400, "validation_failed", "X-Play-Session: 8-64 letters, digits, - or _", {
      field: "X-Play-Session",
    });
  }
  return `play-${session}`;
}

function jobOf(id: string): string {
  if (!JOB.test(id)) throw new AppError(404, "not_found", "no such job");
  return id;
}

async function readBody(request: Request): Promise<Record<string, unknown>> {
  try {
    const value: unknown = await request.json();
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      return value as Record<string, unknown>;
    }
  } catch {
    // answered below
  }
  throw new AppError(400, "invalid_json", "the body must be a JSON object");
}

export function sessionRoutes(forward: Forward): Hono<App> {
  const routes = new Hono<App>();
  // The same byte limit as the jobs API, counted while the body arrives (it is parsed here first).
  routes.use("*", limitBody());
  const call = (c: Context<App>, path: string, user: string, body?: unknown) => {
    const headers: Record<string, string> = {
      authorization: `Bearer ${c.env.GATEWAY_TOKEN}`,
      "x-user-id": user,
    };
    const init: RequestInit = { method: body === undefined ? "GET" : "POST", headers };
    if (body !== undefined) {
      headers["content-type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return forward(new Request(new URL(path, c.req.url), init), c);
  };

  routes.post("/jobs", async (c) => {
    const user = userOf(c.req.raw);
    const input = await readBody(c.req.raw);
    // The page chooses what to run; identity and bookkeeping are the session's.
    const body = { ...input, request_id: `play-${crypto.randomUUID()}`, user_id: user };
    const created = await call(c, "/v1/jobs", user, body);
    if (!created.ok) return created;
    const { job_id: jobId } = (await created.json()) as { job_id: string };
    const ticket = await call(c, `/v1/jobs/${jobId}/ticket`, user, {});
    if (!ticket.ok) return ticket;
    return c.json({ job_id: jobId, ...((await ticket.json()) as object) }, 202);
  });
  routes.get("/jobs/:id", (c) =>
    call(c, `/v1/jobs/${jobOf(c.req.param("id"))}`, userOf(c.req.raw)),
  );
  routes.post("/jobs/:id/cancel", (c) =>
    call(c, `/v1/jobs/${jobOf(c.req.param("id"))}/cancel`, userOf(c.req.raw), {}),
  );
  routes.post("/jobs/:id/ticket", (c) =>
    call(c, `/v1/jobs/${jobOf(c.req.param("id"))}/ticket`, userOf(c.req.raw), {}),
  );
  // Browsers hide why an upgrade was refused (the socket just closes with 1006); this says why.
  routes.post("/jobs/:id/diagnose", async (c) => {
    const jobId = jobOf(c.req.param("id"));
    const { ticket } = await readBody(c.req.raw);
    if (typeof ticket !== "string")
      throw new AppError(400, "validation_failed", "ticket: a string", { field: "ticket" });
    try {
      await verifyTicket(c.env.TICKET_SECRET, ticket, { job: jobId });
      return c.json({ ok: true, code: null, message: "the ticket is valid" });
    } catch (err) {
      if (err instanceof AppError)
        return c.json({ ok: false, code: err.code, message: err.message });
      throw err;
    }
  });
  return routes;
}
