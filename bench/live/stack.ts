// The whole stack on loopback, the way `npm start` runs it: the local platform (env-manager and
// snapshot-cache, startPlatform) and `wrangler dev` pointed at it, on free ports with throwaway
// data and persistence directories. Used by the live browser test and `npm run bench:live`.
import { type ChildProcess, spawn } from "node:child_process";
import { cp, mkdtemp, readdir, readFile, rm, symlink } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startPlatform } from "../../infra/local-dev/platform.ts";

const ROOT = resolve(fileURLToPath(import.meta.url), "../../..");
export const GATEWAY_TOKEN = "dev-gateway-token";
const PLATFORM_TOKEN = "dev-platform-token";

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => ok(port));
    });
  });
}

export interface Stack {
  /** The worker, e.g. http://127.0.0.1:PORT */
  url: string;
  port: number;
  wrangler: ChildProcess;
  close(): Promise<void>;
}

async function waitHealthy(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited:\n${output()}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`wrangler dev did not become healthy:\n${output()}`);
}

/**
 * A copy of the worker's sources in a temporary directory: `wrangler dev` watches its sources and
 * reloads (dropping every Durable Object and socket) on any change, and the working tree is shared
 * with people editing it; a snapshot keeps a test or bench run on one build.
 */
async function snapshotWorker(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "sql-runner-live-worker-"));
  for (const name of ["src", "wrangler.toml", ".dev.vars", "package.json", "tsconfig.json"]) {
    await cp(join(ROOT, name), join(dir, name), { recursive: true });
  }
  await symlink(join(ROOT, "node_modules"), join(dir, "node_modules"));
  return dir;
}

/** Starts the platform and `wrangler dev`; `close()` stops both and removes their directories. */
export async function startStack(opts: { log?: (line: string) => void } = {}): Promise<Stack> {
  const dataDir = await mkdtemp(join(tmpdir(), "sql-runner-live-platform-"));
  const persistDir = await mkdtemp(join(tmpdir(), "sql-runner-live-wrangler-"));
  const workerDir = await snapshotWorker();
  const platform = await startPlatform({ dataDir, token: PLATFORM_TOKEN, gcIntervalMs: 0 });
  const port = await freePort();
  const inspector = await freePort();
  const args = [
    "dev",
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--inspector-port",
    String(inspector),
    "--persist-to",
    persistDir,
    "--show-interactive-dev-session=false",
    "--log-level",
    "warn",
    "--var",
    `ENV_MANAGER_URL:${platform.envManager.url}`,
    "--var",
    `SNAPSHOT_CACHE_URL:${platform.snapshotCache.url}`,
  ];
  const wrangler = spawn(join(ROOT, "node_modules/.bin/wrangler"), args, {
    cwd: workerDir,
    env: {
      ...process.env,
      WRANGLER_SEND_METRICS: "false",
      // Loopback only: no fetch of the Request.cf placeholder from the internet.
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
      CI: "1",
      NO_COLOR: "1",
    },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  const collect = (chunk: Buffer) => {
    const text = chunk.toString();
    output = (output + text).slice(-20_000);
    opts.log?.(text.trimEnd());
  };
  wrangler.stdout?.on("data", collect);
  wrangler.stderr?.on("data", collect);
  const url = `http://127.0.0.1:${port}`;
  const close = async () => {
    if (wrangler.exitCode === null && wrangler.pid !== undefined) {
      const exited = new Promise((r) => wrangler.once("exit", r));
      // wrangler's own process group: wrangler and the workerd it started, nothing else.
      process.kill(-wrangler.pid, "SIGTERM");
      const timer = setTimeout(() => {
        if (wrangler.exitCode === null && wrangler.pid) process.kill(-wrangler.pid, "SIGKILL");
      }, 5_000);
      await exited;
      clearTimeout(timer);
    }
    await platform.close();
    await rm(dataDir, { recursive: true, force: true });
    await rm(persistDir, { recursive: true, force: true });
    await rm(workerDir, { recursive: true, force: true });
  };
  try {
    await waitHealthy(url, wrangler, () => output);
  } catch (err) {
    await close();
    throw err;
  }
  return { url, port, wrangler, close };
}

export interface WorkerdMemory {
  /** RSS (bytes) of the workerd running the Worker and its Durable Objects. */
  worker: number;
  /** RSS (bytes) of wrangler dev's own proxy workerd (listens on the public port; not in production). */
  proxy: number;
}

/** Resident memory of the workerd processes below `pid` (read from /proc). */
export async function workerdMemory(pid: number, publicPort: number): Promise<WorkerdMemory> {
  const children = new Map<number, number[]>();
  const names = new Map<number, string>();
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      const name = stat.slice(stat.indexOf("(") + 1, close);
      const ppid = Number(stat.slice(close + 2).split(" ")[1]);
      names.set(Number(entry), name);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const out: WorkerdMemory = { worker: 0, proxy: 0 };
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.pop() as number;
    if (names.get(p) === "workerd") {
      const status = await readFile(`/proc/${p}/status`, "utf8").catch(() => "");
      const cmdline = await readFile(`/proc/${p}/cmdline`, "utf8").catch(() => "");
      const rss = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
      if (cmdline.includes(`entry=127.0.0.1:${publicPort}`)) out.proxy += rss;
      else out.worker += rss;
    }
    queue.push(...(children.get(p) ?? []));
  }
  return out;
}

/** A gateway call to the worker. */
export async function gateway(
  base: string,
  path: string,
  opts: { body?: unknown; user?: string; method?: string } = {},
): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${GATEWAY_TOKEN}` };
  if (opts.user) headers["x-user-id"] = opts.user;
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  return fetch(`${base}${path}`, {
    method: opts.method ?? (opts.body !== undefined ? "POST" : "GET"),
    headers,
    ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
  });
}
