// The blobs API through the Worker (no platform): upload, `missing` per user, the caps, the
// refusals, and a create that names an uploaded blob by etag.
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { BLOB_LIMITS } from "../../src/jobs/blob-upload.ts";
import { call, errorOf, shortJob, TOKEN, uid } from "./helpers.ts";

const BASE = "http://sql-runner.test";

async function digestOf(bytes: string | Uint8Array): Promise<string> {
  const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  const digest = await crypto.subtle.digest("SHA-256", data);
  return `sha256:${Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

function put(
  digest: string,
  body: BodyInit | null,
  user: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return exports.default.fetch(`${BASE}/v1/blobs/${digest}`, {
    method: "PUT",
    headers: { authorization: `Bearer ${TOKEN}`, "x-user-id": user, ...headers },
    body,
  });
}

async function missing(user: string, digests: string[]): Promise<string[]> {
  const res = await call("/v1/blobs/missing", { body: { digests }, user });
  expect(res.status).toBe(200);
  return (await res.json<{ missing: string[] }>()).missing;
}

describe("PUT /v1/blobs/{digest}", () => {
  it("stores the bytes under their hash; then the uploader's missing no longer lists it", async () => {
    const user = uid("user");
    const text = `SELECT 'blob ${uid()}';\n`;
    const digest = await digestOf(text);
    expect(await missing(user, [digest])).toEqual([digest]);
    const res = await put(digest, text, user);
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ digest, size_bytes: new TextEncoder().encode(text).length });
    expect(await missing(user, [digest])).toEqual([]);
    const stored = await env.FILES.get(`sha256/${digest.slice(7)}`);
    expect(await stored?.text()).toBe(text);
  });

  it("answers the same to a second upload of content another user already stored", async () => {
    const text = `-- shared ${uid()}\nSELECT 1;\n`;
    const digest = await digestOf(text);
    const first = await put(digest, text, uid("alice"));
    const second = await put(digest, text, uid("bob"));
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(await second.json()).toEqual(await first.json());
  });

  it("refuses bytes that do not hash to the digest, and stores nothing", async () => {
    const user = uid("user");
    const digest = await digestOf(`meant ${uid()}`);
    const res = await put(digest, "something else", user);
    expect(res.status).toBe(422);
    const err = await errorOf(res);
    expect(err.code).toBe("etag_mismatch");
    expect(err.message).toContain(`not ${digest}`);
    expect(await env.FILES.head(`sha256/${digest.slice(7)}`)).toBeNull();
    expect(await missing(user, [digest])).toEqual([digest]);
  });

  it("refuses bytes that are not UTF-8 text (422 invalid_content)", async () => {
    const bytes = new Uint8Array([0x53, 0x45, 0xff, 0xfe, 0x0a]);
    const res = await put(await digestOf(bytes), bytes, uid("user"));
    expect(res.status).toBe(422);
    expect((await errorOf(res)).code).toBe("invalid_content");
  });

  it("takes a blob of exactly the file limit and refuses one byte more (413 file_too_large)", async () => {
    const max = BLOB_LIMITS.maxBlobBytes;
    const user = uid("user");
    const atLimit = `${"-".repeat(max - 37)}${uid().slice(0, 36)}\n`;
    expect(new TextEncoder().encode(atLimit).length).toBe(max);
    const ok = await put(await digestOf(atLimit), atLimit, user);
    expect(ok.status).toBe(201);
    expect((await ok.json<{ size_bytes: number }>()).size_bytes).toBe(max);

    const over = `${atLimit}x`;
    const res = await put(await digestOf(over), over, user);
    expect(res.status).toBe(413);
    const err = await errorOf(res);
    expect(err.code).toBe("file_too_large");
    expect(err.message).toBe(`blob is larger than ${max} bytes`);
    expect(err.max_bytes).toBe(max);
  });

  it("needs a Content-Length (411 length_required): R2 stores a stream of known length", async () => {
    const text = "SELECT 1;\n";
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(text));
        controller.close();
      },
    });
    const res = await put(await digestOf(text), body, uid("user"));
    expect(res.status).toBe(411);
    expect((await errorOf(res)).code).toBe("length_required");
  });

  it("stores an empty file", async () => {
    const digest = await digestOf("");
    const res = await put(digest, "", uid("user"), { "content-length": "0" });
    expect(res.status).toBe(201);
  });

  it("refuses a malformed digest, a missing user and a missing token", async () => {
    const bad = await put("sha256:ABC", "x", uid("user"));
    expect(bad.status).toBe(400);
    expect(await errorOf(bad)).toMatchObject({ code: "validation_failed", field: "digest" });
    const digest = await digestOf("x");
    const noUser = await exports.default.fetch(`${BASE}/v1/blobs/${digest}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${TOKEN}` },
      body: "x",
    });
    expect(noUser.status).toBe(400);
    expect((await errorOf(noUser)).code).toBe("missing_user_id");
    const noToken = await exports.default.fetch(`${BASE}/v1/blobs/${digest}`, {
      method: "PUT",
      headers: { "x-user-id": "u" },
      body: "x",
    });
    expect(noToken.status).toBe(401);
  });
});

describe("POST /v1/blobs/missing", () => {
  it("lists another user's upload as missing: a hash reveals nothing about other users", async () => {
    const text = `-- alice's secret ${uid()}\n`;
    const digest = await digestOf(text);
    expect((await put(digest, text, uid("alice"))).status).toBe(201);
    expect(await missing(uid("mallory"), [digest])).toEqual([digest]);
  });

  it("lists content sent inline in a create as held by its sender only", async () => {
    const user = uid("user");
    const text = `CREATE TABLE inline_${crypto.randomUUID().slice(0, 8)} (x int);`;
    const res = await call("/v1/jobs", {
      body: shortJob({
        user_id: user,
        project_tree: { "init/a.sql": text, "test/q.sql": "SELECT 1;" },
        head_path: "test/q.sql",
      }),
    });
    expect(res.status).toBe(202);
    const digest = await digestOf(text);
    expect(await missing(user, [digest])).toEqual([]);
    expect(await missing(uid("other"), [digest])).toEqual([digest]);
  });

  it("answers each digest once, in the order asked", async () => {
    const [a, b] = [await digestOf(uid("a")), await digestOf(uid("b"))];
    expect(await missing(uid("user"), [b, a, b])).toEqual([b, a]);
  });

  it("takes up to the digest limit and refuses more (400 validation_failed)", async () => {
    const max = BLOB_LIMITS.maxDigests;
    const digest = await digestOf(uid());
    const user = uid("user");
    expect(await missing(user, Array(max).fill(digest))).toEqual([digest]);
    const res = await call("/v1/blobs/missing", {
      body: { digests: Array(max + 1).fill(digest) },
      user,
    });
    expect(res.status).toBe(400);
    const err = await errorOf(res);
    expect(err.code).toBe("validation_failed");
    expect(err.field).toBe("digests");
    expect(err.message).toContain(String(max));
  });

  it("refuses a body over 1 MiB (413 payload_too_large) before parsing it", async () => {
    const max = BLOB_LIMITS.maxMissingBodyBytes;
    const body = JSON.stringify({ digests: [] });
    const padded = `${body.slice(0, -1)}${" ".repeat(max + 1 - body.length)}}`;
    expect(padded.length).toBe(max + 1);
    const res = await call("/v1/blobs/missing", { rawBody: padded, user: uid("user") });
    expect(res.status).toBe(413);
    const err = await errorOf(res);
    expect(err.code).toBe("payload_too_large");
    expect(err.message).toBe(`body is larger than ${max} bytes`);
    const atLimit = `${body.slice(0, -1)}${" ".repeat(max - body.length)}}`;
    const ok = await call("/v1/blobs/missing", { rawBody: atLimit, user: uid("user") });
    expect(ok.status).toBe(200);
  });

  it("refuses malformed digests and unknown fields", async () => {
    const user = uid("user");
    const bad = await call("/v1/blobs/missing", { body: { digests: ["md5:00"] }, user });
    expect(bad.status).toBe(400);
    expect(await errorOf(bad)).toMatchObject({ code: "validation_failed", field: "digests[0]" });
    const extra = await call("/v1/blobs/missing", { body: { digests: [], x: 1 }, user });
    expect(extra.status).toBe(400);
    expect((await errorOf(extra)).field).toBe("x");
    const json = await call("/v1/blobs/missing", { rawBody: "{", user });
    expect((await errorOf(json)).code).toBe("invalid_json");
  });
});

describe("a create naming uploaded blobs by etag", () => {
  it("plans for the uploader and is unknown_etag for anyone else", async () => {
    const user = uid("user");
    const schema = `CREATE TABLE b_${crypto.randomUUID().slice(0, 8)} (x int);\n`;
    const digest = await digestOf(schema);
    expect((await put(digest, schema, user)).status).toBe(201);
    const tree = { "init/a.sql": { etag: digest }, "test/q.sql": "SELECT 1;" };
    const mine = await call("/v1/jobs", {
      body: shortJob({ user_id: user, project_tree: tree, head_path: "test/q.sql" }),
    });
    expect(mine.status).toBe(202);
    const theirs = await call("/v1/jobs", {
      body: shortJob({ user_id: uid("other"), project_tree: tree, head_path: "test/q.sql" }),
    });
    expect(theirs.status).toBe(422);
    expect(await errorOf(theirs)).toMatchObject({ code: "unknown_etag", path: "init/a.sql" });
  });
});
