// The whole local stack: the platform (env-manager + snapshot-cache on real PostgreSQL) and
// `wrangler dev` running the Worker, wired to the platform's URLs and token. Used by `npm start`
// (infra/local-dev/start.ts) and by the jobs benchmark.
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type PlatformHandle, type PlatformOptions, startPlatform } from "./platform.ts";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export interface StackOptions {
  /** Port of `wrangler dev` (0: any free port). */
  port: number;
  platform?: PlatformOptions;
  /** Directory for the Worker's local Durable Object storage (default .wrangler/state). */
  persistTo?: string;
  /** Where wrangler runs (default: the repository; a copy of the sources isolates it from edits). */
  cwd?: string;
  /** Where wrangler's output goes (default: this process's stdout/stderr). */
  quiet?: boolean;
  /** Extra Worker vars (`--var NAME:VALUE`), e.g. PLAYGROUND_SESSIONS=dev for development. */
  vars?: Record<string, string>;
  log?: (line: string) => void;
  /** Run this Worker against a platform already started (e.g. two Workers on one platform). */
  shared?: PlatformHandle;
  /** false: the Worker exports no metrics or traces (TELEMETRY_URL ""), e.g. a bench baseline. */
  telemetry?: boolean;
  /** Where the Worker exports when telemetry is on (default: the platform's exporter). */
  telemetryUrl?: string;
}

export interface StackHandle {
  url: string;
  platform: PlatformHandle;
  /** wrangler's inspector (Chrome DevTools protocol at `ws://127.0.0.1:<port>/ws`): heap figures. */
  inspectorPort: number;
  /** SIGKILL to `wrangler dev` and its workerd processes (a crash, for the reliability suite). */
  kill(): Promise<void>;
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitHealthy(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`wrangler dev did not answer ${url}/healthz within ${timeoutMs} ms`);
}

export async function startStack(opts: StackOptions): Promise<StackHandle> {
  const platform = opts.shared ?? (await startPlatform(opts.platform));
  // A platform the caller passed in stays up when this Worker stops.
  const closePlatform = () => (opts.shared ? Promise.resolve() : platform.close());
  const port = opts.port === 0 ? await freePort() : opts.port;
  const inspectorPort = await freePort();
  const args = [
    "wrangler",
    "dev",
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--inspector-port",
    String(inspectorPort),
    "--show-interactive-dev-session=false",
    // Exposes /__scheduled, through which local-cron.ts fires the Cron Trigger's handler.
    "--test-scheduled",
    "--var",
    `ENV_MANAGER_URL:${platform.envManager.url}`,
    "--var",
    `SNAPSHOT_CACHE_URL:${platform.snapshotCache.url}`,
    "--var",
    `PLATFORM_TOKEN:${platform.token}`,
    // Local webhook receivers (http://127.0.0.1:...) are fine in development (docs/lifecycle.md).
    "--var",
    "WEBHOOK_ALLOW_LOCAL:true",
    ...Object.entries(opts.vars ?? {}).flatMap(([name, value]) => ["--var", `${name}:${value}`]),
    "--var",
    `TELEMETRY_URL:${opts.telemetry === false ? "" : (opts.telemetryUrl ?? platform.operators.exporter.url)}`,
    "--var",
    `AUDIT_LOG_URL:${platform.operators.auditLog.url}`,
    ...(opts.persistTo ? ["--persist-to", opts.persistTo] : []),
  ];
  const child = spawn("npx", args, {
    cwd: opts.cwd ?? ROOT,
    // Loopback only: no download of the Request.cf placeholder.
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
    stdio: opts.quiet ? ["ignore", "ignore", "pipe"] : ["ignore", "inherit", "inherit"],
    detached: true,
  });
  const stderr: string[] = [];
  child.stderr?.on("data", (d: Buffer) => stderr.push(d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const stopChild = async () => {
    if (child.exitCode !== null || child.pid === undefined) return;
    const exited = new Promise((r) => child.once("exit", r));
    try {
      process.kill(-child.pid, "SIGINT");
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        // gone
      }
    }, 5000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitHealthy(url, child, 60_000);
  } catch (err) {
    await stopChild();
    await closePlatform();
    throw new Error(`${(err as Error).message}\n${stderr.join("").slice(-2000)}`);
  }
  opts.log?.(`sql-runner     ${url}`);
  return {
    url,
    platform,
    inspectorPort,
    async kill() {
      if (child.exitCode !== null || child.pid === undefined) return;
      const exited = new Promise((r) => child.once("exit", r));
      process.kill(-child.pid, "SIGKILL");
      await exited;
    },
    async close() {
      await stopChild();
      await closePlatform();
    },
  };
}
