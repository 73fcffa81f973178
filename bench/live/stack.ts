// The whole stack on loopback, the way `npm start` runs it: the local platform (env-manager and
// snapshot-cache, startPlatform) and `wrangler dev` pointed at it, on free ports with throwaway
// data and persistence directories. Used by the live browser test and `npm run bench:live`.
import { cp, mkdtemp, readdir, readFile, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startStack } from "../../infra/local-dev/stack.ts";

const ROOT = resolve(fileURLToPath(import.meta.url), "../../..");
export const GATEWAY_TOKEN = "dev-gateway-token";

export interface LiveStack {
  /** The worker, e.g. http://127.0.0.1:PORT */
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * A copy of the worker's sources in a temporary directory: `wrangler dev` watches its sources and
 * reloads (dropping every Durable Object and socket) on any change, and the working tree is shared
 * with people editing it; a snapshot keeps a test or bench run on one build.
 */
export async function snapshotWorker(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "sql-runner-live-worker-"));
  for (const name of [
    "src",
    "web",
    "wrangler.toml",
    ".dev.vars",
    "package.json",
    "tsconfig.json",
  ]) {
    await cp(join(ROOT, name), join(dir, name), { recursive: true });
  }
  await symlink(join(ROOT, "node_modules"), join(dir, "node_modules"));
  return dir;
}

/**
 * The stack as `npm start` runs it (infra/local-dev/stack.ts: platform + `wrangler dev`), on free
 * ports, with throwaway platform data, Durable Object storage and source snapshot.
 */
export async function startLiveStack(): Promise<LiveStack> {
  const dataDir = await mkdtemp(join(tmpdir(), "sql-runner-live-platform-"));
  const persistDir = await mkdtemp(join(tmpdir(), "sql-runner-live-wrangler-"));
  const workerDir = await snapshotWorker();
  const cleanup = async () => {
    for (const dir of [dataDir, persistDir, workerDir]) {
      await rm(dir, { recursive: true, force: true });
    }
  };
  try {
    const stack = await startStack({
      port: 0,
      platform: { dataDir, gcIntervalMs: 0 },
      persistTo: persistDir,
      cwd: workerDir,
      quiet: true,
      // As `npm start`: the playground's development page-session API is on.
      vars: { PLAYGROUND_SESSIONS: "dev" },
    });
    return {
      url: stack.url,
      port: Number(new URL(stack.url).port),
      async close() {
        await stack.close();
        await cleanup();
      },
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

export interface WorkerdMemory {
  /** RSS (bytes) of the workerd running the Worker and its Durable Objects. */
  worker: number;
  /** RSS (bytes) of wrangler dev's own proxy workerd (listens on the public port; not in production). */
  proxy: number;
}

/**
 * Resident memory of `wrangler dev`'s workerd processes, read from /proc: the proxy is the one
 * listening on the public port; the worker is its sibling (same parent: wrangler).
 */
export async function workerdMemory(publicPort: number): Promise<WorkerdMemory> {
  const procs: { pid: number; ppid: number; cmdline: string }[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      if (stat.slice(stat.indexOf("(") + 1, close) !== "workerd") continue;
      const ppid = Number(stat.slice(close + 2).split(" ")[1]);
      const cmdline = (await readFile(`/proc/${entry}/cmdline`, "utf8")).replace(/\0/g, " ");
      procs.push({ pid: Number(entry), ppid, cmdline });
    } catch {
      // gone meanwhile
    }
  }
  const proxy = procs.find((p) => p.cmdline.includes(`entry=127.0.0.1:${publicPort} `));
  if (!proxy) throw new Error(`no workerd listening on port ${publicPort}`);
  const rss = async (pid: number) => {
    const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
  };
  let worker = 0;
  for (const p of procs) {
    if (p.ppid === proxy.ppid && p.pid !== proxy.pid) worker += await rss(p.pid);
  }
  return { worker, proxy: await rss(proxy.pid) };
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
