// The index survives a restart of the service, and the leftovers of a crash are cleaned: unfinished
// `.tmp-*` copies, index rows whose layer directory is gone, and old directories nobody indexed.
import { type ChildProcess, spawn } from "node:child_process";
import { access, mkdir, rm, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  hashOf,
  makeDataDir,
  publishBody,
  removeDataDir,
  startTestCache,
  TEST_TOKEN,
  type TestCache,
  writeLayer,
} from "../../../infra/local-dev/snapshot-cache/test-harness.ts";
import {
  GcResponse,
  LayerResponse,
  LookupResponse,
} from "../../../src/clients/contracts/snapshot-cache.ts";

let dir: string;
let cache: TestCache | undefined;

beforeEach(async () => {
  dir = await makeDataDir();
});
afterEach(async () => {
  await cache?.handle.close();
  cache = undefined;
  await removeDataDir(dir);
});

const present = (name: string) =>
  access(join(dir, "layers", name)).then(
    () => true,
    () => false,
  );

/** Backdates a directory's mtime by `ms` (a leftover from an earlier crash). */
async function age(name: string, ms: number): Promise<void> {
  const t = new Date(Date.now() - ms);
  await utimes(join(dir, "layers", name), t, t);
}

describe("restart", () => {
  it("keeps every layer, its metadata and its use times", async () => {
    cache = await startTestCache(dir);
    await writeLayer(dir, "layer-1");
    await writeLayer(dir, "layer-2");
    await cache.call("POST", "/v1/layers", publishBody("t1", "layer-1"));
    await cache.call(
      "POST",
      "/v1/layers",
      publishBody("t2", "layer-2", { parent_hash: hashOf("t1") }),
    );
    await cache.call("POST", "/v1/lookup", { hashes: [hashOf("t1")] });
    const before = LayerResponse.parse((await cache.call("GET", "/v1/layers/layer-2")).json).layer;
    await cache.handle.close();

    cache = await startTestCache(dir);
    const after = LayerResponse.parse((await cache.call("GET", "/v1/layers/layer-2")).json).layer;
    expect(after).toEqual(before);
    const res = await cache.call("POST", "/v1/lookup", { hashes: [hashOf("t1"), hashOf("t2")] });
    expect(LookupResponse.parse(res.json).match?.layer.layer_id).toBe("layer-2");
    // First writer still wins after the restart.
    await writeLayer(dir, "layer-late");
    const late = await cache.call("POST", "/v1/layers", publishBody("t1", "layer-late"));
    expect(late.json).toMatchObject({ outcome: "lost_race", layer: { layer_id: "layer-1" } });
  });
});

describe("the CLI process", () => {
  const main = new URL("../../../infra/local-dev/snapshot-cache/main.ts", import.meta.url);
  let child: ChildProcess | undefined;
  afterEach(() => {
    child?.kill("SIGKILL");
    child = undefined;
  });

  /**
   * Starts `node main.ts` on a free port and resolves with its URL once its `listening` line
   * arrives; every line it prints must be one JSON object (service-log.ts).
   */
  async function spawnMain(): Promise<string> {
    const proc = spawn(process.execPath, [main.pathname], {
      env: {
        ...process.env,
        SNAPSHOT_CACHE_PORT: "0",
        PLATFORM_DATA_DIR: dir,
        PLATFORM_TOKEN: TEST_TOKEN,
        SNAPSHOT_CACHE_GC_INTERVAL_MS: "0",
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    child = proc;
    return new Promise((resolve, reject) => {
      let out = "";
      proc.stdout?.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        const lines = out.split("\n");
        out = lines.pop() ?? "";
        for (const line of lines) {
          let parsed: { level?: unknown; event?: unknown; url?: unknown };
          try {
            parsed = JSON.parse(line);
          } catch {
            reject(new Error(`not a JSON log line: ${line}`));
            return;
          }
          if (typeof parsed.level !== "string") reject(new Error(`no level: ${line}`));
          if (parsed.event === "listening" && typeof parsed.url === "string") resolve(parsed.url);
        }
      });
      proc.once("exit", (code) => reject(new Error(`snapshot-cache exited with ${code}: ${out}`)));
    });
  }

  it("keeps its index when killed with SIGKILL right after publishing", async () => {
    const call = (url: string, method: string, path: string, body?: unknown) =>
      fetch(url + path, {
        method,
        headers: { authorization: `Bearer ${TEST_TOKEN}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    let url = await spawnMain();
    const ids = ["k1", "k2", "k3"];
    for (const id of ids) {
      await writeLayer(dir, `layer-${id}`);
      expect((await call(url, "POST", "/v1/layers", publishBody(id, `layer-${id}`))).status).toBe(
        201,
      );
    }
    const exited = new Promise((r) => child?.once("exit", r));
    child?.kill("SIGKILL");
    await exited;

    url = await spawnMain();
    for (const id of ids) {
      const res = await call(url, "POST", "/v1/lookup", { hashes: [hashOf(id)] });
      expect(LookupResponse.parse(await res.json()).match?.layer.layer_id).toBe(`layer-${id}`);
    }
  });
});

describe("crash leftovers", () => {
  it("are cleaned on start and by the first GC, while young copies in progress are left alone", async () => {
    cache = await startTestCache(dir);
    await writeLayer(dir, "layer-kept");
    await writeLayer(dir, "layer-gone");
    await cache.call("POST", "/v1/layers", publishBody("kept", "layer-kept"));
    await cache.call("POST", "/v1/layers", publishBody("gone", "layer-gone"));
    await cache.handle.close();
    cache = undefined;

    // What a crash can leave: a half-written copy by env-manager, a deletion by snapshot-cache
    // interrupted after its rename, a layer dir removed without its index row, a layer env-manager
    // renamed into place but never published, and a copy still being written right now.
    for (const name of [".tmp-abc123", ".tmp-gc-def456", ".tmp-inprogress"]) {
      await mkdir(join(dir, "layers", name, "base"), { recursive: true });
      await writeFile(join(dir, "layers", name, "base", "1"), "x".repeat(100));
    }
    await rm(join(dir, "layers", "layer-gone"), { recursive: true });
    await writeLayer(dir, "layer-unpublished");
    await writeLayer(dir, "layer-just-written");
    await age(".tmp-abc123", 3_600_000);
    await age("layer-unpublished", 3_600_000);

    cache = await startTestCache(dir, { leftoverGraceMs: 600_000 });
    expect(await present(".tmp-abc123")).toBe(false);
    expect(await present(".tmp-gc-def456")).toBe(false);
    expect(await present(".tmp-inprogress")).toBe(true);
    expect((await cache.call("GET", "/v1/layers/layer-gone")).status).toBe(404);
    expect((await cache.call("GET", `/v1/layers/by-hash/${hashOf("kept")}`)).status).toBe(200);

    const run = GcResponse.parse((await cache.call("POST", "/v1/gc")).json);
    expect(run.deleted).toEqual([
      { layer_id: "layer-unpublished", tail_hash: null, reason: "orphan", size_bytes: 1024 },
    ]);
    expect(await present("layer-unpublished")).toBe(false);
    expect(await present("layer-just-written")).toBe(true);
    expect(await present(".tmp-inprogress")).toBe(true);
    expect(await present("layer-kept")).toBe(true);
  });

  it("never removes an unindexed directory env-manager reports in use", async () => {
    await writeLayer(dir, "layer-booted");
    await age("layer-booted", 3_600_000);
    cache = await startTestCache(dir, { inUse: async () => ["layer-booted"] });
    const run = GcResponse.parse((await cache.call("POST", "/v1/gc")).json);
    expect(run.deleted).toEqual([]);
    expect(run.kept_in_use).toEqual(["layer-booted"]);
    expect(await present("layer-booted")).toBe(true);
  });
});
