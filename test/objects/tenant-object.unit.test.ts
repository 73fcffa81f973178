// The tenant ledger behind the reuse report (src/objects/tenant-object.ts), through its RPC: the
// longest prefix a user ran, per user, and its cap of MAX_PREFIXES (the oldest leave first).
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { MAX_PREFIXES } from "../../src/objects/tenant-object.ts";

const ledger = (user: string) => env.TENANTS.get(env.TENANTS.idFromName(user));
const user = () => `user-${crypto.randomUUID()}`;

describe("tenant ledger", () => {
  it("answers the longest prefix the user ran, and nothing for another user", async () => {
    const a = ledger(user());
    await a.record(["h1", "h2", "h3"]);
    expect(await a.ownedPrefix(["h1", "h2", "h3"])).toBe(3);
    expect(await a.ownedPrefix(["h1", "h2", "other"])).toBe(2);
    expect(await a.ownedPrefix(["h1", "h2", "h3", "h4"])).toBe(3);
    expect(await a.ownedPrefix(["other"])).toBe(0);
    expect(await a.ownedPrefix([])).toBe(0);
    expect(await ledger(user()).ownedPrefix(["h1", "h2", "h3"])).toBe(0);
  });

  it("keeps at most MAX_PREFIXES hashes: past it the oldest recorded leave first", async () => {
    const a = ledger(user());
    const old = Array.from({ length: MAX_PREFIXES }, (_, i) => `old-${i}`);
    await a.record(old);
    await a.record(["new-1", "new-2"]);
    // Two over the cap: the first two of the older record went.
    expect(await a.ownedPrefix(["old-0"])).toBe(0);
    expect(await a.ownedPrefix(["old-1"])).toBe(0);
    expect(await a.ownedPrefix(["old-2"])).toBe(1);
    expect(await a.ownedPrefix([`old-${MAX_PREFIXES - 1}`])).toBe(1);
    expect(await a.ownedPrefix(["new-1", "new-2"])).toBe(2);
  });
});
