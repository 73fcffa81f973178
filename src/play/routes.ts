// The playground: `GET /play` (and `/`) serves the page; its script and styles are static assets
// built from web/ (wrangler's [build] + [assets]). In development only (`npm start` sets
// PLAYGROUND_SESSIONS=dev) the page-session API under /play/api stands in for a gateway: it calls
// the jobs API with the gateway token for a per-browser user. In production the gateway owns auth
// and offers the same four calls itself (docs/playground.md).
import { Hono } from "hono";
import { AppError } from "../errors.ts";
import { PLAY_PAGE } from "./page-html.ts";
import { type Forward, sessionRoutes } from "./session.ts";

type App = { Bindings: Env };

const PAGE_HEADERS = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  // Everything the page loads comes from this origin: no CDN.
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self' ws: wss:; img-src 'self' data:; frame-ancestors 'self'",
};

/** The playground routes; `forward` dispatches a request to the Worker's own jobs API. */
export function playRoutes(forward: Forward): Hono<App> {
  const routes = new Hono<App>();
  routes.get("/", (c) => c.redirect("/play", 302));
  routes.get("/play", (c) => c.html(PLAY_PAGE, 200, PAGE_HEADERS));
  routes.use("/play/api/*", async (c, next) => {
    if (c.env.PLAYGROUND_SESSIONS !== "dev") {
      throw new AppError(
        404,
        "not_found",
        "the playground's page-session API is enabled only by npm start",
      );
    }
    await next();
  });
  routes.route("/play/api", sessionRoutes(forward));
  return routes;
}
