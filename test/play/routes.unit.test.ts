// The playground routes inside workerd: the page is served with a same-origin-only CSP, and the
// page-session API is closed unless the development switch (PLAYGROUND_SESSIONS=dev) is on; the
// unit pool runs wrangler.toml's default ("off"), like a deployed Worker.
import { env, exports } from "cloudflare:workers";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { errorResponse } from "../../src/api/errors.ts";
import { BODY_LIMITS } from "../../src/limits/limits.ts";
import { sessionRoutes } from "../../src/play/session.ts";

describe("GET /play", () => {
  it("serves the page, which loads its script from this origin only", async () => {
    const res = await exports.default.fetch("http://sql-runner.test/play");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
    const html = await res.text();
    expect(html).toContain('<script type="module" src="/play/assets/playground.js">');
    expect(html).toContain('<meta name="sql-runner-api" content="/play/api">');
    expect(html).not.toMatch(/https?:\/\//);
  });

  it("is where / leads", async () => {
    const res = await exports.default.fetch("http://sql-runner.test/", { redirect: "manual" });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/play");
  });
});

describe("page-session API outside development", () => {
  it("answers 404 not_found for every call", async () => {
    for (const [method, path] of [
      ["POST", "/play/api/jobs"],
      ["GET", "/play/api/jobs/0123456789abcdef0123456789abcdef"],
      ["POST", "/play/api/jobs/0123456789abcdef0123456789abcdef/ticket"],
    ] as const) {
      const res = await exports.default.fetch(`http://sql-runner.test${path}`, {
        method,
        headers: { "x-play-session": "abcdefgh1234", "content-type": "application/json" },
        ...(method === "POST" ? { body: "{}" } : {}),
      });
      expect(res.status).toBe(404);
      const body = await res.json<{ error: { code: string; message: string } }>();
      expect(body.error.code).toBe("not_found");
      expect(body.error.message).toContain("npm start");
    }
  });
});

describe("page-session API in development", () => {
  it("refuses a body over the jobs API's byte limit with 413 before parsing it", async () => {
    const forwarded: string[] = [];
    const app = new Hono<{ Bindings: Env }>();
    app.route(
      "/play/api",
      sessionRoutes(async (req) => {
        forwarded.push(req.url);
        return new Response("{}", { status: 500 });
      }),
    );
    app.onError((err, c) => errorResponse(err, c));
    const MiB = 1024 * 1024;
    const chunk = new Uint8Array(MiB).fill(0x20);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > BODY_LIMITS.maxBodyBytes) controller.close();
        else {
          sent += chunk.length;
          controller.enqueue(chunk);
        }
      },
    });
    const res = await app.request(
      "/play/api/jobs",
      {
        method: "POST",
        body,
        headers: { "x-play-session": "abcdefgh1234" },
        duplex: "half",
      } as RequestInit,
      env,
    );
    expect(res.status).toBe(413);
    const err = (await res.json<{ error: { code: string; message: string } }>()).error;
    expect(err.code).toBe("payload_too_large");
    expect(err.message).toBe(`body is larger than ${BODY_LIMITS.maxBodyBytes} bytes`);
    expect(forwarded).toEqual([]);
  });
});
