// The Worker's snapshot-cache client inside workerd against the local platform's real snapshot-cache
// (started by test/global-setup.ts next to the real env-manager, which GC asks what is in use).
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createSnapshotCacheClient } from "../../src/clients/snapshot-cache.ts";
import { AppError } from "../../src/errors.ts";

const client = () =>
  createSnapshotCacheClient({ baseUrl: env.SNAPSHOT_CACHE_URL, token: env.PLATFORM_TOKEN });

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

describe("snapshot-cache client against the local platform", () => {
  it("answers health, a chain lookup miss and a single-hash miss", async () => {
    const cache = client();
    expect((await cache.health()).service).toBe("snapshot-cache");
    const chain = await Promise.all(["x1", "x2", "x3"].map((s) => sha256(`integration-${s}`)));
    expect(await cache.lookup(chain)).toBeNull();
    expect(await cache.getByHash(chain[0] ?? "")).toBeNull();
  });

  it("runs GC after asking the real env-manager what is in use", async () => {
    const gc = await client().gc();
    expect(gc.byte_budget).toBeGreaterThan(0);
    expect(Array.isArray(gc.deleted)).toBe(true);
  });

  it("reports a publish of a layer storage does not hold as snapshot_cache_rejected", async () => {
    const err = await client()
      .publish({
        tail_hash: await sha256("integration-missing"),
        layer_id: "no-such-layer",
        parent_hash: null,
        engine: "postgres-18.4",
        settings_digest: "s-0000000000000000",
        size_bytes: 1,
        ttl_seconds: 60,
      })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({
      code: "snapshot_cache_rejected",
      details: { upstream_code: "layer_missing" },
    });
  });
});
