// Request bodies against their limits, through the worker: a declared or chunked body over
// maxBodyBytes is refused with 413 `payload_too_large` while it arrives, counting bytes (the
// 33/60 MiB creates that cross one RPC are in test/reliability/bodies.reliability.test.ts).
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { BODY_LIMITS } from "../../src/limits/limits.ts";
import { errorOf, TOKEN, uid } from "../api/helpers.ts";

const MiB = 1024 * 1024;

function post(body: BodyInit, headers: Record<string, string> = {}): Promise<Response> {
  return exports.default.fetch("http://sql-runner.test/v1/jobs", {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json", ...headers },
    body,
  });
}

describe("request bodies", () => {
  it("refuses a declared Content-Length over the limit before reading it", async () => {
    const res = await post("{}", { "content-length": String(BODY_LIMITS.maxBodyBytes + 1) });
    expect(res.status).toBe(413);
    const error = await errorOf(res);
    expect(error.code).toBe("payload_too_large");
    expect(error.message).toContain(String(BODY_LIMITS.maxBodyBytes));
  });

  it("cuts off a chunked body at maxBodyBytes bytes while it arrives", async () => {
    const chunk = new Uint8Array(MiB).fill(0x20);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        // Never-ending: only the limit can stop it.
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const res = await post(stream);
    expect(res.status).toBe(413);
    expect((await errorOf(res)).code).toBe("payload_too_large");
    expect(sent).toBeLessThan(BODY_LIMITS.maxBodyBytes + 8 * MiB);
  });

  it("counts UTF-8 bytes, not UTF-16 units: 3-byte characters over the limit are refused", async () => {
    const chars = Math.floor(BODY_LIMITS.maxBodyBytes / 3) + 1024;
    const body = JSON.stringify({
      request_id: uid("req"),
      user_id: uid("u"),
      x: "€".repeat(chars),
    });
    expect(body.length).toBeLessThan(BODY_LIMITS.maxBodyBytes);
    const stream = new Blob([body]).stream();
    const res = await post(stream);
    expect(res.status).toBe(413);
  });
});
