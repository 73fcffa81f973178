// Each file is hashed once per create or append (issue 16): the idempotency digest, the file rows
// and the content store all ask for the same SHA-256, and one call's `digestOnce` answers them.
// Counted where the hashing happens, `crypto.subtle.digest`, which the job object shares with the
// test (one isolate), over the bytes of each file the request sent.
import { afterEach, describe, expect, it, vi } from "vitest";
import { call, uid } from "../api/helpers.ts";

const decoder = new TextDecoder();

/** How often each of `texts` went through SHA-256 while `fn` ran. */
async function hashesOf(texts: string[], fn: () => Promise<void>): Promise<number[]> {
  const seen: string[] = [];
  const digest = crypto.subtle.digest.bind(crypto.subtle);
  vi.spyOn(crypto.subtle, "digest").mockImplementation((algorithm, data) => {
    if (ArrayBuffer.isView(data) || data instanceof ArrayBuffer) {
      const bytes = ArrayBuffer.isView(data)
        ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
        : new Uint8Array(data);
      seen.push(decoder.decode(bytes));
    }
    return digest(algorithm, data);
  });
  await fn();
  return texts.map((text) => seen.filter((s) => s === text).length);
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("file hashing per request", () => {
  // Small files too: the isolate-wide memo (contentDigest) only keeps contents of 4 KiB and more.
  const tag = uid("hash");
  const files = {
    "init/01.sql": `-- ${tag} one\nCREATE TABLE a (id int);`,
    "init/02.sql": `-- ${tag} two\nCREATE TABLE b (id int);`,
    "init/03.sql": `-- ${tag} three\n${"SELECT 1;\n".repeat(600)}`,
  };

  it("a long-mode create hashes each file once", async () => {
    const user = uid("u");
    const counts = await hashesOf(Object.values(files), async () => {
      const res = await call("/v1/jobs", {
        body: {
          request_id: uid("r"),
          user_id: user,
          mode: "long",
          job_ttl: 3600,
          project_tree: files,
        },
      });
      expect(res.status).toBe(202);
    });
    expect(counts).toEqual([1, 1, 1]);
  });

  it("an append hashes each file of its part once", async () => {
    const user = uid("u");
    const res = await call("/v1/jobs", {
      body: { request_id: uid("r"), user_id: user, mode: "long", job_ttl: 3600 },
    });
    expect(res.status).toBe(202);
    const { job_id } = await res.json<{ job_id: string }>();
    const part = Object.fromEntries(
      Object.entries(files).map(([path, text]) => [path, `${text}\n-- appended`]),
    );
    const counts = await hashesOf(Object.values(part), async () => {
      const appended = await call(`/v1/jobs/${job_id}/append`, {
        user,
        body: { part: 1, project_tree: part },
      });
      expect(appended.status).toBe(200);
    });
    expect(counts).toEqual([1, 1, 1]);
  });
});
