// PostgreSQL servers must not outlive their env-manager (issue 9: a SIGKILLed env-manager left
// its postmasters running). env-manager runs as its own process here so that SIGKILL hits only
// it, as on a crashed host. Two ways out are tested: its parent-death watch (work-dir.ts) stops
// them when it is never restarted, and when the watch died too, the next env-manager on the same
// data directory stops them at start.
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../../infra/local-dev/stack.ts";
import {
  type EnvManagerProcess,
  startEnvManagerProcess,
} from "../../reliability/env-manager-process.ts";

const TOKEN = "orphans-test";
const started: EnvManagerProcess[] = [];
// One data dir for both tests: the base image is made once (a dead env-manager's own scratch
// directory is what is cleaned up, not the data root).
let dataDir = "";
// Each test boots an env-manager and two instances on a loaded machine: not a timing bound.
const SLOW = 240_000;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "sql-runner-orphans-"));
});
afterAll(async () => {
  for (const env of started) await env.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** The direct children of `parent`: pid and command name, from /proc. */
async function children(parent: number): Promise<{ pid: number; comm: string }[]> {
  const out: { pid: number; comm: string }[] = [];
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, "utf8").catch(() => "");
    // pid (comm) state ppid ...; comm may hold spaces, so split after the last ')'.
    const m = /^(\d+) \((.*)\) \S+ (\d+)/s.exec(stat);
    if (m && Number(m[3]) === parent) out.push({ pid: Number(m[1]), comm: m[2] ?? "" });
  }
  return out;
}

async function isPostgres(pid: number): Promise<boolean> {
  return (await readFile(`/proc/${pid}/comm`, "utf8").catch(() => "")).trim() === "postgres";
}

/** Those of `pids` still running postgres after at most `ms` (polled; empty as soon as none). */
async function survivors(pids: number[], ms: number): Promise<number[]> {
  const until = Date.now() + ms;
  for (;;) {
    const alive: number[] = [];
    for (const pid of pids) if (await isPostgres(pid)) alive.push(pid);
    if (alive.length === 0 || Date.now() > until) return alive;
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function managerWithInstances(n: number) {
  const env = await startEnvManagerProcess({ port: await freePort(), dataDir, token: TOKEN });
  started.push(env);
  const headers = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
  const health = (await (await fetch(`${env.url}/healthz`, { headers })).json()) as {
    engine: string;
  };
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${env.url}/v1/instances`, {
      method: "POST",
      headers,
      body: JSON.stringify({ from: { base: { engine: health.engine } } }),
    });
    expect(res.status).toBe(201);
  }
  const kids = await children(env.pid);
  const postmasters = kids.filter((k) => k.comm === "postgres").map((k) => k.pid);
  const watch = kids.filter((k) => k.comm === "sh").map((k) => k.pid);
  expect(postmasters.length).toBeGreaterThanOrEqual(n);
  return { env, postmasters, watch };
}

describe("postmasters of a SIGKILLed env-manager", () => {
  it(
    "exit when it is never restarted (parent-death watch)",
    async () => {
      const { env, postmasters } = await managerWithInstances(2);
      await env.kill();
      expect(await survivors(postmasters, 30_000)).toEqual([]);
    },
    SLOW,
  );

  it(
    "are stopped by the next env-manager on the same data dir when the watch died too",
    async () => {
      const { env, postmasters, watch } = await managerWithInstances(2);
      expect(watch.length).toBe(1);
      for (const pid of watch) process.kill(pid, "SIGKILL");
      await env.kill();
      // With no watch and no manager, nothing stops them: they are orphans now.
      expect(await survivors(postmasters, 0)).toEqual(postmasters);
      const next = await startEnvManagerProcess({ port: await freePort(), dataDir, token: TOKEN });
      started.push(next);
      expect(await survivors(postmasters, 30_000)).toEqual([]);
    },
    SLOW,
  );
});
