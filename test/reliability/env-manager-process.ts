// env-manager as its own process (infra/local-dev/env-manager/main.ts), for the kill tests: a
// SIGKILL takes down only that process, as a crashed host would (its PostgreSQL children are not
// signalled), and a new process can be started on the same port and data directory.
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const MAIN = join(
  fileURLToPath(new URL("../..", import.meta.url)),
  "infra/local-dev/env-manager/main.ts",
);

export interface EnvManagerProcess {
  url: string;
  pid: number;
  /** SIGKILL, then wait for the exit. */
  kill(): Promise<void>;
  /** SIGTERM (a clean stop: its instances are stopped), then wait for the exit. */
  stop(): Promise<void>;
}

export interface EnvManagerProcessOptions {
  port: number;
  dataDir: string;
  token: string;
  env?: Record<string, string>;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

export async function startEnvManagerProcess(
  opts: EnvManagerProcessOptions,
): Promise<EnvManagerProcess> {
  const child = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      ENV_MANAGER_PORT: String(opts.port),
      PLATFORM_DATA_DIR: opts.dataDir,
      PLATFORM_TOKEN: opts.token,
      ...opts.env,
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const stderr: string[] = [];
  child.stderr?.on("data", (d: Buffer) => {
    // Only the last lines matter for a failed start; keep the buffer bounded.
    stderr.push(d.toString());
    if (stderr.length > 50) stderr.shift();
  });
  const url = `http://127.0.0.1:${opts.port}`;
  const until = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`env-manager exited with ${child.exitCode}: ${stderr.join("")}`);
    }
    const ok = await fetch(`${url}/healthz`, {
      headers: { authorization: `Bearer ${opts.token}` },
    }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > until) {
      child.kill("SIGKILL");
      throw new Error(`env-manager did not answer ${url}/healthz: ${stderr.join("")}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    pid: child.pid ?? -1,
    async kill() {
      child.kill("SIGKILL");
      await exited(child);
    },
    async stop() {
      child.kill("SIGTERM");
      await exited(child);
    },
  };
}

/** env-manager's /healthz count of instances handed out (0 when it does not answer). */
export async function handedOut(url: string, token: string): Promise<number> {
  const res = await fetch(`${url}/healthz`, { headers: { authorization: `Bearer ${token}` } });
  return ((await res.json()) as { instances: number }).instances;
}
