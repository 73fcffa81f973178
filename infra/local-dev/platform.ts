// One command for the whole local platform: env-manager (PostgreSQL instances + WebSocket proxy) and
// snapshot-cache, on loopback, sharing one data root and the platform token.
//   node infra/local-dev/platform.ts        (ports 8788 / 8789, as wrangler.toml expects)
// startPlatform() is also what test/global-setup.ts and the benches call (port 0 = any free port).
import { fileURLToPath } from "node:url";
import { DEFAULT_PLATFORM_TOKEN, defaultDataDir } from "./env-manager/config.ts";
import { type EnvManagerHandle, type StartOptions, startEnvManager } from "./env-manager/server.ts";
import { type SnapshotCacheHandle, startSnapshotCache } from "./snapshot-cache/server.ts";

export interface PlatformOptions {
  dataDir?: string;
  token?: string;
  envManagerPort?: number;
  snapshotCachePort?: number;
  envManager?: Omit<StartOptions, "port" | "dataDir" | "token">;
  /** snapshot-cache background GC period; 0 disables it. */
  gcIntervalMs?: number;
  log?: (line: string) => void;
}

export interface PlatformHandle {
  envManager: EnvManagerHandle;
  snapshotCache: SnapshotCacheHandle;
  token: string;
  dataDir: string;
  close(): Promise<void>;
}

export async function startPlatform(opts: PlatformOptions = {}): Promise<PlatformHandle> {
  const dataDir = opts.dataDir ?? defaultDataDir();
  const token = opts.token ?? process.env.PLATFORM_TOKEN ?? DEFAULT_PLATFORM_TOKEN;
  const envManager = await startEnvManager({
    ...opts.envManager,
    port: opts.envManagerPort ?? 0,
    dataDir,
    token,
  });
  let snapshotCache: SnapshotCacheHandle;
  try {
    snapshotCache = await startSnapshotCache({
      port: opts.snapshotCachePort ?? 0,
      dataDir,
      token,
      envManagerUrl: envManager.url,
      ...(opts.gcIntervalMs === undefined ? {} : { gcIntervalMs: opts.gcIntervalMs }),
      ...(opts.log ? { log: opts.log } : {}),
    });
  } catch (err) {
    await envManager.close();
    throw err;
  }
  return {
    envManager,
    snapshotCache,
    token,
    dataDir,
    async close() {
      await snapshotCache.close();
      await envManager.close();
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const platform = await startPlatform({
    envManagerPort: Number(process.env.ENV_MANAGER_PORT ?? 8788),
    snapshotCachePort: Number(process.env.SNAPSHOT_CACHE_PORT ?? 8789),
    log: (line) => console.log(line),
  });
  console.log(`env-manager    ${platform.envManager.url}  (data ${platform.dataDir})`);
  console.log(`snapshot-cache ${platform.snapshotCache.url}`);
  const stop = async () => {
    await platform.close();
    process.exit(0);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
