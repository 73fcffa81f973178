// env-manager's HTTP surface: the platform token is required everywhere, bad input is answered with
// a stable code and a message naming the offending field, unknown ids with 404.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEnv, type TestEnv } from "../../../infra/local-dev/env-manager/test-harness.ts";

let env: TestEnv;

beforeAll(async () => {
  env = await startTestEnv();
});
afterAll(async () => {
  await env?.close();
});

describe("env-manager HTTP", () => {
  it("refuses callers without the platform token", async () => {
    for (const [method, path] of [
      ["GET", "/healthz"],
      ["POST", "/v1/instances"],
      ["GET", "/v1/layers/in-use"],
    ] as const) {
      const res = await env.call(method, path, undefined, "wrong-token");
      expect({ path, status: res.status, code: res.json.error.code }).toEqual({
        path,
        status: 401,
        code: "unauthorized",
      });
    }
  });

  it("answers /healthz with the engine and settings digest", async () => {
    const res = await env.call("GET", "/healthz");
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      status: "ok",
      service: "env-manager",
      engine: env.handle.manager.binaries.engine,
      settings_digest: env.handle.manager.digest,
    });
  });

  it.each([
    [{}, "body.from"],
    [{ from: {} }, "body.from"],
    [{ from: { layer_id: "../etc" } }, "body.from"],
    [{ from: { base: { engine: "postgres-18.4" } }, ttl_ms: 10 }, "body.ttl_ms"],
    [{ from: { base: { engine: "postgres-18.4" } }, ttl_ms: 7_200_000 }, "body.ttl_ms"],
    [{ from: { base: { engine: "postgres-18.4" } }, extra: 1 }, "body"],
  ])("rejects create body %j naming %s", async (body, field) => {
    const res = await env.call("POST", "/v1/instances", body);
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe("validation_failed");
    expect(res.json.error.message.startsWith(field)).toBe(true);
  });

  it("refuses a body over 64 KiB with 413 body_too_large, and takes one just under it", async () => {
    const engine = env.handle.manager.binaries.engine;
    const sized = (bytes: number) => {
      const base = JSON.stringify({ from: { base: { engine } }, pad: "" });
      return { from: { base: { engine } }, pad: "x".repeat(bytes - base.length) };
    };
    const over = await env.call("POST", "/v1/instances", sized(64 * 1024 + 1));
    expect(over.status).toBe(413);
    expect(over.json.error).toMatchObject({ code: "body_too_large", message: "body: over 64 KiB" });
    // At the limit the body is read and validated: `pad` is not a field (400, not 413).
    const at = await env.call("POST", "/v1/instances", sized(64 * 1024));
    expect(at.status).toBe(400);
    expect(at.json.error.code).toBe("validation_failed");
  });

  it("rejects an engine or settings digest the platform does not run", async () => {
    const engine = await env.call("POST", "/v1/instances", {
      from: { base: { engine: "postgres-9.6" } },
    });
    expect(engine.status).toBe(422);
    expect(engine.json.error.code).toBe("unsupported_engine");
    expect(engine.json.error.message).toMatch(/^from\.base\.engine: postgres-9\.6 .*available: /);
    const digest = await env.call("POST", "/v1/instances", {
      from: { base: { engine: env.handle.manager.binaries.engine, settings_digest: "s-other" } },
    });
    expect(digest.status).toBe(400);
    expect(digest.json.error.code).toBe("unknown_settings");
    expect(digest.json.error.message).toMatch(/^from\.base\.settings_digest/);
  });

  it("answers 404 for unknown instances and 400 for malformed ids", async () => {
    const unknown = await env.call("GET", "/v1/instances/i-0123456789abcdef");
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe("instance_not_found");
    const bad = await env.call("POST", "/v1/instances/nope/snapshot");
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toMatch(/^instance_id/);
    const gone = await env.call("DELETE", "/v1/instances/i-0123456789abcdef");
    expect(gone.json).toEqual({ instance_id: "i-0123456789abcdef", destroyed: false });
  });

  it("rejects malformed JSON and unknown routes", async () => {
    const res = await fetch(`${env.handle.url}/v1/instances`, {
      method: "POST",
      headers: { authorization: "Bearer test-platform-token", "content-type": "application/json" },
      body: "{not json",
    });
    expect(res.status).toBe(400);
    const route = await env.call("GET", "/v1/nothing");
    expect(route.status).toBe(404);
    const method = await env.call("PUT", "/v1/instances");
    expect(method.status).toBe(405);
  });
});
