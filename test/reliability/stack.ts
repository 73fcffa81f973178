// The stack the reliability suite's node files drive: the platform in this process
// (startPlatform: env-manager, snapshot-cache, PostgreSQL) and `wrangler dev` as a child process
// on a snapshot of the sources, with its own Durable Object storage. The Worker can be killed
// (SIGKILL to wrangler and its workerd) and started again on the same port and storage, as a
// crashed host comes back; the platform's handle gives the PostgreSQL pids for the same.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GATEWAY_TOKEN, snapshotWorker, workerdMemory } from "../../bench/live/stack.ts";
import {
  type PlatformHandle,
  type PlatformOptions,
  startPlatform,
} from "../../infra/local-dev/platform.ts";
import { freePort, type StackHandle, startStack } from "../../infra/local-dev/stack.ts";

export interface ReliabilityStack {
  url: string;
  port: number;
  /** The Worker's inspector port (changes when the Worker is started again). */
  inspectorPort(): number;
  platform: PlatformHandle;
  /** SIGKILL to the Worker (wrangler dev and workerd), then the same Worker again. */
  crashWorker(): Promise<void>;
  close(): Promise<void>;
}

export async function startReliabilityStack(
  platformOptions: Pick<PlatformOptions, "envManager"> = {},
): Promise<ReliabilityStack> {
  const dataDir = await mkdtemp(join(tmpdir(), "sql-runner-reliab-platform-"));
  const persistDir = await mkdtemp(join(tmpdir(), "sql-runner-reliab-wrangler-"));
  const workerDir = await snapshotWorker();
  const platform = await startPlatform({ dataDir, gcIntervalMs: 0, ...platformOptions });
  const port = await freePort();
  const worker = () =>
    startStack({ port, shared: platform, persistTo: persistDir, cwd: workerDir, quiet: true });
  let stack: StackHandle = await worker();
  return {
    url: stack.url,
    port,
    inspectorPort: () => stack.inspectorPort,
    platform,
    async crashWorker() {
      await stack.kill();
      stack = await worker();
    },
    async close() {
      await stack.close();
      await platform.close();
      for (const dir of [dataDir, persistDir, workerDir]) {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

/** A gateway call to the Worker; JSON body when given. */
export function api(
  base: string,
  path: string,
  opts: { body?: unknown; user?: string; method?: string; accept?: string } = {},
): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${GATEWAY_TOKEN}` };
  if (opts.user) headers["x-user-id"] = opts.user;
  if (opts.accept) headers.accept = opts.accept;
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  return fetch(`${base}${path}`, {
    method: opts.method ?? (opts.body !== undefined ? "POST" : "GET"),
    headers,
    ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
  });
}

export interface JobViewLite {
  job_id: string;
  status: string;
  error: { code: string; message: string } | null;
  result: { sets: { rows: unknown[][] }[] } | null;
  metrics: { retries?: number };
}

const TERMINAL = new Set(["completed", "failed", "canceled"]);

/** Long-polls the job until it ends or `deadlineMs` passes (then the last view, not ended). */
export async function waitEnded(
  base: string,
  jobId: string,
  user: string,
  deadlineMs: number,
): Promise<JobViewLite> {
  const until = Date.now() + deadlineMs;
  let view: JobViewLite | undefined;
  while (Date.now() < until) {
    try {
      const res = await api(base, `/v1/jobs/${jobId}?wait_ms=20000`, { user });
      if (res.ok) {
        view = (await res.json()) as JobViewLite;
        if (TERMINAL.has(view.status)) return view;
      }
    } catch {
      // The Worker is restarting: ask again.
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  if (!view) throw new Error(`job ${jobId}: no view within ${deadlineMs} ms`);
  return view;
}

/** Samples the Worker's workerd RSS (bench/live/stack.ts, from /proc) every `everyMs` until
 * stopped: the first sample, and the peak of each phase (`phase()` starts the next one). */
export function sampleRss(port: number, everyMs = 100) {
  const peaks: Record<string, number> = {};
  let current = "start";
  let first = 0;
  let samples = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const rss = await workerdMemory(port).then(
        (m) => m.worker,
        () => 0,
      );
      if (samples === 0) first = rss;
      samples++;
      peaks[current] = Math.max(peaks[current] ?? 0, rss);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    phase(name: string) {
      current = name;
    },
    async stop() {
      stopped = true;
      await loop;
      return { peak: Math.max(0, ...Object.values(peaks)), peaks, first, samples };
    },
  };
}
