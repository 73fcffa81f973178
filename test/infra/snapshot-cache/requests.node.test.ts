// Who may call, and what a bad request gets: 401 without the platform token, 400 with a stable code
// and the offending field for each malformed input, 404/405 for unknown routes and methods.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  hashOf,
  makeDataDir,
  publishBody,
  removeDataDir,
  startTestCache,
  type TestCache,
  writeLayer,
} from "../../../infra/local-dev/snapshot-cache/test-harness.ts";
import { HealthResponse } from "../../../src/clients/contracts/snapshot-cache.ts";

let dir: string;
let cache: TestCache;

beforeAll(async () => {
  dir = await makeDataDir();
  cache = await startTestCache(dir);
  await writeLayer(dir, "layer-a");
});
afterAll(async () => {
  await cache.handle.close();
  await removeDataDir(dir);
});

type ErrorBody = { error: { code: string; message: string; field?: string } };

describe("authorization", () => {
  const routes: [string, string, unknown?][] = [
    ["GET", "/healthz"],
    ["POST", "/v1/lookup", { hashes: [hashOf("a")] }],
    ["POST", "/v1/layers", publishBody("a", "layer-a")],
    ["GET", `/v1/layers/by-hash/${hashOf("a")}`],
    ["DELETE", `/v1/layers/by-hash/${hashOf("a")}`],
    ["GET", "/v1/layers/layer-a"],
    ["POST", "/v1/gc"],
  ];
  for (const [method, path, body] of routes) {
    it(`${method} ${path.slice(0, 30)} answers 401 without a token and with a wrong one`, async () => {
      for (const token of [null, "wrong-token", ""]) {
        const res = await cache.call(method, path, body, token);
        expect(res.status).toBe(401);
        expect((res.json as ErrorBody).error.code).toBe("unauthorized");
        expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
      }
    });
  }

  it("answers the right token, and the service listens on loopback only", async () => {
    const res = await cache.call("GET", "/healthz");
    expect(res.status).toBe(200);
    expect(HealthResponse.parse(res.json).service).toBe("snapshot-cache");
    expect(new URL(cache.handle.url).hostname).toBe("127.0.0.1");
  });
});

describe("bad requests", () => {
  const good = publishBody("a", "layer-a");
  const cases: [string, string, string, unknown, string, string][] = [
    // name, method, path, body, code, field named in the message
    ["a body that is not JSON", "POST", "/v1/lookup", "{not json", "invalid_json", "body"],
    ["a missing body", "POST", "/v1/lookup", undefined, "invalid_request", "body"],
    ["no hashes", "POST", "/v1/lookup", { hashes: [] }, "invalid_request", "hashes"],
    [
      "a bad hash in a chain",
      "POST",
      "/v1/lookup",
      { hashes: [hashOf("a"), "XYZ"] },
      "invalid_request",
      "hashes[1]",
    ],
    [
      "an upper-case hash",
      "POST",
      "/v1/lookup",
      { hashes: [hashOf("a").toUpperCase()] },
      "invalid_request",
      "hashes[0]",
    ],
    [
      "an unknown lookup field",
      "POST",
      "/v1/lookup",
      { hashes: [hashOf("a")], limit: 3 },
      "invalid_request",
      "limit",
    ],
    [
      "a negative ttl",
      "POST",
      "/v1/layers",
      { ...good, ttl_seconds: -5 },
      "invalid_request",
      "ttl_seconds",
    ],
    [
      "a zero ttl",
      "POST",
      "/v1/layers",
      { ...good, ttl_seconds: 0 },
      "invalid_request",
      "ttl_seconds",
    ],
    [
      "a fractional ttl",
      "POST",
      "/v1/layers",
      { ...good, ttl_seconds: 1.5 },
      "invalid_request",
      "ttl_seconds",
    ],
    [
      "a ttl over a year",
      "POST",
      "/v1/layers",
      { ...good, ttl_seconds: 10 ** 9 },
      "invalid_request",
      "ttl_seconds",
    ],
    [
      "a ttl one second over 366 days",
      "POST",
      "/v1/layers",
      { ...good, ttl_seconds: 366 * 24 * 3600 + 1 },
      "invalid_request",
      "ttl_seconds",
    ],
    [
      "10,001 hashes in one lookup (the limit is 10,000)",
      "POST",
      "/v1/lookup",
      { hashes: Array.from({ length: 10_001 }, (_, i) => hashOf(`h${i}`)) },
      "invalid_request",
      "hashes",
    ],
    [
      "1,001 tail hashes in one pin (the limit is 1,000)",
      "POST",
      "/v1/layers/pin",
      {
        tail_hashes: Array.from({ length: 1_001 }, (_, i) => hashOf(`p${i}`)),
        until: new Date(Date.now() + 3_600_000).toISOString(),
      },
      "invalid_request",
      "tail_hashes",
    ],
    [
      "a negative size",
      "POST",
      "/v1/layers",
      { ...good, size_bytes: -1 },
      "invalid_request",
      "size_bytes",
    ],
    [
      "a bad tail hash",
      "POST",
      "/v1/layers",
      { ...good, tail_hash: "abc" },
      "invalid_request",
      "tail_hash",
    ],
    [
      "a bad parent hash",
      "POST",
      "/v1/layers",
      { ...good, parent_hash: "p" },
      "invalid_request",
      "parent_hash",
    ],
    [
      "a missing parent hash",
      "POST",
      "/v1/layers",
      { ...good, parent_hash: undefined },
      "invalid_request",
      "parent_hash",
    ],
    [
      "a path in a layer id",
      "POST",
      "/v1/layers",
      { ...good, layer_id: "../etc" },
      "invalid_request",
      "layer_id",
    ],
    [
      "a dot layer id",
      "POST",
      "/v1/layers",
      { ...good, layer_id: ".tmp-x" },
      "invalid_request",
      "layer_id",
    ],
    ["an empty engine", "POST", "/v1/layers", { ...good, engine: "" }, "invalid_request", "engine"],
    [
      "an unknown publish field",
      "POST",
      "/v1/layers",
      { ...good, owner: "me" },
      "invalid_request",
      "owner",
    ],
    ["a body that is an array", "POST", "/v1/layers", [good], "invalid_request", "body"],
    [
      "a bad hash in the path",
      "GET",
      "/v1/layers/by-hash/zzz",
      undefined,
      "invalid_request",
      "tail_hash",
    ],
    [
      "a bad hash to delete",
      "DELETE",
      "/v1/layers/by-hash/123",
      undefined,
      "invalid_request",
      "tail_hash",
    ],
    [
      "a bad layer id in the path",
      "GET",
      "/v1/layers/a%2Fb",
      undefined,
      "invalid_request",
      "layer_id",
    ],
    [
      "bad percent-encoding",
      "GET",
      "/v1/layers/%E0%A4%A",
      undefined,
      "invalid_request",
      "layer_id",
    ],
    ["an unknown gc field", "POST", "/v1/gc", { force: true }, "invalid_request", "force"],
  ];
  for (const [name, method, path, body, code, field] of cases) {
    it(`${name} -> 400 ${code} naming ${field}`, async () => {
      const res = await cache.call(method, path, body);
      expect(res.status).toBe(400);
      const err = (res.json as ErrorBody).error;
      expect(err.code).toBe(code);
      expect(err.message.startsWith(`${field}: `)).toBe(true);
    });
  }

  it("answers 413 for a body over 1 MiB", async () => {
    const res = await cache.call("POST", "/v1/lookup", { hashes: Array(20_000).fill(hashOf("a")) });
    expect(res.status).toBe(413);
    expect((res.json as ErrorBody).error.code).toBe("payload_too_large");
  });

  it("answers 404 for an unknown route and 405 for a wrong method", async () => {
    const unknown = await cache.call("GET", "/v2/anything");
    expect(unknown.status).toBe(404);
    expect((unknown.json as ErrorBody).error.code).toBe("route_not_found");
    const wrong = await cache.call("PUT", "/v1/lookup", { hashes: [] });
    expect(wrong.status).toBe(405);
    expect((wrong.json as ErrorBody).error.code).toBe("method_not_allowed");
  });
});
