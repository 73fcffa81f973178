// The snapshot-cache client inside workerd: an unreachable service, a 5xx and a malformed answer
// become typed AppErrors whose messages never carry the service URL or upstream internals.
import { describe, expect, it } from "vitest";
import { createSnapshotCacheClient } from "../../src/clients/snapshot-cache.ts";
import { AppError } from "../../src/errors.ts";

const HASH = "a".repeat(64);

async function rejection(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof AppError)) throw new Error(`expected an AppError, got ${String(err)}`);
  return err;
}

describe("snapshot-cache client in workerd", () => {
  it("maps a dead URL to snapshot_cache_unavailable without leaking the URL", async () => {
    // Port 1 on loopback: nothing listens there, so the connection is refused for real.
    const client = createSnapshotCacheClient({ baseUrl: "http://127.0.0.1:1", token: "t" });
    const err = await rejection(client.lookup([HASH]));
    expect(err.status).toBe(503);
    expect(err.code).toBe("snapshot_cache_unavailable");
    expect(err.message).not.toMatch(/127\.0\.0\.1|:1\b|http/);
    expect(JSON.stringify(err.details)).not.toContain("127.0.0.1");
  });

  // Faults the real service cannot produce on demand, injected through the fetch option.
  it("maps a 5xx to snapshot_cache_unavailable without the upstream's text", async () => {
    const leaky = "Error: boom at /srv/internal/cache.ts:12 http://10.0.0.7:9000/v1/lookup";
    const client = createSnapshotCacheClient({
      baseUrl: "http://snapshot-cache.internal",
      token: "t",
      fetch: async () =>
        Response.json({ error: { code: "internal", message: leaky } }, { status: 502 }),
    });
    const err = await rejection(client.lookup([HASH]));
    expect(err).toMatchObject({ status: 503, code: "snapshot_cache_unavailable" });
    expect(err.message).not.toContain("10.0.0.7");
    expect(err.message).not.toContain("internal");
    expect(err.message).not.toContain("/srv");
  });

  it("rejects an answer that does not match the contract", async () => {
    const client = createSnapshotCacheClient({
      baseUrl: "http://snapshot-cache.internal",
      token: "t",
      fetch: async () => Response.json({ match: { index: "three" } }),
    });
    const err = await rejection(client.lookup([HASH]));
    expect(err).toMatchObject({ status: 502, code: "snapshot_cache_bad_response" });
  });
});
