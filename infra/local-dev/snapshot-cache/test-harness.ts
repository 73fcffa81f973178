// Helpers for the snapshot-cache node tests (test/infra/snapshot-cache/): a temporary platform data
// root, layer directories in the shared storage format (written the way env-manager writes them:
// into `.tmp-*`, then renamed), a movable clock, and an authenticated JSON caller.
import { createHash, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PublishRequest } from "../../../src/clients/contracts/snapshot-cache.ts";
import {
  type SnapshotCacheHandle,
  type SnapshotCacheOptions,
  startSnapshotCache,
} from "./server.ts";

export const TEST_TOKEN = "test-platform-token";

export function hashOf(label: string): string {
  return createHash("sha256").update(label).digest("hex");
}

export async function makeDataDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), "snapshot-cache-test-"));
}

export async function removeDataDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** A layer directory with `layer.json` and `bytes` bytes of data, published by rename. */
export async function writeLayer(
  dataDir: string,
  layerId: string,
  opts: { bytes?: number; engine?: string; settings_digest?: string } = {},
): Promise<void> {
  const bytes = opts.bytes ?? 1024;
  const layers = join(dataDir, "layers");
  const tmp = join(layers, `.tmp-${randomBytes(6).toString("hex")}`);
  await mkdir(join(tmp, "base"), { recursive: true });
  await writeFile(join(tmp, "base", "data"), randomBytes(bytes));
  await writeFile(
    join(tmp, "layer.json"),
    JSON.stringify({
      layer_id: layerId,
      size_bytes: bytes,
      engine: opts.engine ?? "postgres-18.4",
      settings_digest: opts.settings_digest ?? "settings-v1",
      created_at: new Date().toISOString(),
    }),
  );
  await rename(tmp, join(layers, layerId));
}

export function publishBody(
  tailLabel: string,
  layerId: string,
  extra: Partial<PublishRequest> = {},
) {
  return {
    tail_hash: hashOf(tailLabel),
    layer_id: layerId,
    parent_hash: null,
    engine: "postgres-18.4",
    settings_digest: "settings-v1",
    size_bytes: 1024,
    ttl_seconds: 3600,
    ...extra,
  } satisfies PublishRequest;
}

export type Clock = { now: () => number; advance(ms: number): void; set(ms: number): void };

export function makeClock(start = Date.now()): Clock {
  let t = start;
  return {
    now: () => t,
    advance(ms) {
      t += ms;
    },
    set(ms) {
      t = ms;
    },
  };
}

export type CallResult = { status: number; json: unknown; headers: Headers };

export type TestCache = {
  handle: SnapshotCacheHandle;
  dataDir: string;
  call(method: string, path: string, body?: unknown, token?: string | null): Promise<CallResult>;
};

/** Starts a cache on a free port with GC timers off and the test token. */
export async function startTestCache(
  dataDir: string,
  opts: Partial<SnapshotCacheOptions> = {},
): Promise<TestCache> {
  const handle = await startSnapshotCache({
    dataDir,
    token: TEST_TOKEN,
    gcIntervalMs: 0,
    recentUseGraceMs: 0,
    inUse: async () => [],
    ...opts,
  });
  return {
    handle,
    dataDir,
    async call(method, path, body, token = TEST_TOKEN) {
      const headers: Record<string, string> = {};
      if (token !== null) headers.authorization = `Bearer ${token}`;
      if (body !== undefined) headers["content-type"] = "application/json";
      const res = await fetch(handle.url + path, {
        method,
        headers,
        body:
          body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, json: text ? JSON.parse(text) : null, headers: res.headers };
    },
  };
}
