// env-manager killed with SIGKILL leaves its postmasters running and its scratch directory behind;
// the next env-manager on the same scratch root stops those servers and removes the leftovers,
// while layers in the data root survive the restart and still boot.
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import {
  SHARED_BASES_DIR,
  startTestEnv,
  TEST_TOKEN,
  waitFor,
} from "../../../infra/local-dev/env-manager/test-harness.ts";

const SERVER = fileURLToPath(
  new URL("../../../infra/local-dev/env-manager/server.ts", import.meta.url),
);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const cleanup: string[] = [];
afterAll(async () => {
  for (const d of cleanup) await rm(d, { recursive: true, force: true });
});

describe("crash recovery", () => {
  it("stops a killed env-manager's orphaned servers and keeps its layers", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "env-manager-crash-"));
    const workRoot = `/dev/shm/env-manager-crash-${dataDir.slice(-6)}`;
    cleanup.push(dataDir, workRoot);
    const script = `
      import { startEnvManager } from ${JSON.stringify(SERVER)};
      const h = await startEnvManager({ dataDir: ${JSON.stringify(dataDir)}, workDir: ${JSON.stringify(workRoot)},
        basesDir: ${JSON.stringify(SHARED_BASES_DIR)}, token: ${JSON.stringify(TEST_TOKEN)},
        pool: { perSource: 0, recentSources: 0, maxTotal: 0, prewarmBase: false } });
      const { instance } = await h.manager.create({ base: { engine: h.manager.binaries.engine } });
      const layer = await h.manager.snapshot(instance.id);
      await instance.whenUsable();
      console.log(JSON.stringify({ pid: instance.pid, layer: layer.layer_id }));
    `;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const line = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        if (out.includes("\n")) resolve(out.trim());
      });
      child.once("exit", (code) => reject(new Error(`child exited early (${code})`)));
    });
    const { pid, layer } = JSON.parse(line) as { pid: number; layer: string };
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    expect(alive(pid)).toBe(true);
    const leftovers = () => readdirSync(workRoot).filter((n) => n.startsWith(`${child.pid}-`));
    expect(leftovers()).toHaveLength(1);

    const env = await startTestEnv({ dataDir, workDir: workRoot });
    try {
      await waitFor(() => !alive(pid));
      expect(leftovers()).toEqual([]);
      const booted = await env.call("POST", "/v1/instances", { from: { layer_id: layer } });
      expect(booted.status).toBe(201);
      expect(booted.json.boot.source).toBe("layer");
    } finally {
      await env.handle.close();
    }
  });
});
