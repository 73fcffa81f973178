// The verified-content memo (VERIFIED_MAX entries): what an isolate remembers of content leases it
// saw hold, so the warm path skips R2. Crossed at its real size through rememberContent: the
// content written least recently is asked of R2 again, the rest are not.
import { beforeEach, describe, expect, it } from "vitest";
import {
  type ContentLease,
  contentStore,
  forgetVerifiedContent,
  rememberContent,
  VERIFIED_MAX,
} from "../../src/jobs/content-store.ts";
import type { StoredEntry } from "../../src/jobs/job-store.ts";
import { LeaseMemo } from "../../src/limits/lease-memo.ts";

describe("LeaseMemo", () => {
  it("keeps the later lease end and forgets the least recently written entry at its cap", () => {
    const memo = new LeaseMemo(2);
    memo.set("a", 10);
    memo.set("b", 10);
    memo.set("a", 5); // keeps 10, and a is now the newest
    memo.set("c", 10);
    expect(memo.size).toBe(2);
    expect([memo.get("a"), memo.get("b"), memo.get("c")]).toEqual([10, 0, 10]);
  });
});

describe("the verified-content memo behind rememberContent", () => {
  beforeEach(() => forgetVerifiedContent());

  it(`past ${VERIFIED_MAX} contents, the first one is checked in R2 again and the last is not`, async () => {
    let heads = 0;
    const bucket = {
      head: async () => {
        heads++;
        return {}; // every content is already in R2
      },
      put: async () => null,
    } as unknown as R2Bucket;
    const lease: ContentLease = {
      until: Date.now() + 86_400_000,
      owner: "u1",
      reserve: async () => {},
      take: async () => {},
      claim: async () => new Set(),
    };
    const store = contentStore(bucket, lease);
    const digest = async (text: string) => text.padStart(64, "0");
    const files = (from: number, to: number) =>
      new Map<string, StoredEntry>(
        Array.from({ length: to - from }, (_, k) => [`f${from + k}`, { content: `${from + k}` }]),
      );
    await rememberContent(store, files(0, VERIFIED_MAX + 1), digest);
    expect(heads).toBe(VERIFIED_MAX + 1);

    heads = 0;
    await rememberContent(store, files(VERIFIED_MAX, VERIFIED_MAX + 1), digest);
    expect(heads).toBe(0); // the newest is remembered
    await rememberContent(store, files(1, 2), digest);
    expect(heads).toBe(0); // the second oldest survived
    await rememberContent(store, files(0, 1), digest);
    expect(heads).toBe(1); // the oldest was forgotten at the cap
  });
});
