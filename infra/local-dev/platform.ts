// One command for the whole local platform: env-manager (PostgreSQL instances + WebSocket proxy),
// snapshot-cache, the telemetry exporter and the audit-log service, on loopback, sharing one data
// root and the platform token.
//   node infra/local-dev/platform.ts        (ports 8788 / 8789 / 8790 / 8791, as in wrangler.toml)
// startPlatform() is also what test/global-setup.ts and the benches call (port 0 = any free port).
import { fileURLToPath } from "node:url";
import { DEFAULT_PLATFORM_TOKEN, defaultDataDir } from "./env-manager/config.ts";
import { type EnvManagerHandle, type StartOptions, startEnvManager } from "./env-manager/server.ts";
import { type OperatorsHandle, startOperators } from "./operators.ts";
import type { LogSink } from "./service-log.ts";
import { type SnapshotCacheHandle, startSnapshotCache } from "./snapshot-cache/server.ts";

export interface PlatformOptions {
  dataDir?: string;
  token?: string;
  envManagerPort?: number;
  snapshotCachePort?: number;
  /** Telemetry exporter port (default 0: any free port). */
  telemetryPort?: number;
  /** Audit-log service port (default 0: any free port). */
  auditLogPort?: number;
  envManager?: Omit<StartOptions, "port" | "dataDir" | "token">;
  /** snapshot-cache background GC period; 0 disables it. */
  gcIntervalMs?: number;
  /** Where every platform service's JSON log lines go (service-log.ts; default: warnings and
   * errors to stderr). */
  log?: LogSink;
}

export interface PlatformHandle {
  envManager: EnvManagerHandle;
  snapshotCache: SnapshotCacheHandle;
  /** The telemetry exporter and the audit-log service. */
  operators: OperatorsHandle;
  token: string;
  dataDir: string;
  close(): Promise<void>;
}

export async function startPlatform(opts: PlatformOptions = {}): Promise<PlatformHandle> {
  const dataDir = opts.dataDir ?? defaultDataDir();
  const token = opts.token ?? process.env.PLATFORM_TOKEN ?? DEFAULT_PLATFORM_TOKEN;
  const operators = await startOperators({
    dataDir,
    token,
    ...(opts.telemetryPort === undefined ? {} : { telemetryPort: opts.telemetryPort }),
    ...(opts.auditLogPort === undefined ? {} : { auditLogPort: opts.auditLogPort }),
    ...(opts.log ? { log: opts.log } : {}),
  });
  const telemetryUrl = operators.exporter.url;
  let envManager: EnvManagerHandle;
  try {
    envManager = await startEnvManager({
      telemetryUrl,
      ...(opts.log ? { log: opts.log } : {}),
      ...opts.envManager,
      port: opts.envManagerPort ?? 0,
      dataDir,
      token,
    });
  } catch (err) {
    await operators.close();
    throw err;
  }
  let snapshotCache: SnapshotCacheHandle;
  try {
    snapshotCache = await startSnapshotCache({
      port: opts.snapshotCachePort ?? 0,
      dataDir,
      token,
      envManagerUrl: envManager.url,
      telemetryUrl,
      ...(opts.gcIntervalMs === undefined ? {} : { gcIntervalMs: opts.gcIntervalMs }),
      ...(opts.log ? { log: opts.log } : {}),
    });
  } catch (err) {
    await envManager.close();
    await operators.close();
    throw err;
  }
  return {
    envManager,
    snapshotCache,
    operators,
    token,
    dataDir,
    async close() {
      await snapshotCache.close();
      await envManager.close();
      await operators.close();
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const platform = await startPlatform({
    envManagerPort: Number(process.env.ENV_MANAGER_PORT ?? 8788),
    snapshotCachePort: Number(process.env.SNAPSHOT_CACHE_PORT ?? 8789),
    telemetryPort: Number(process.env.TELEMETRY_PORT ?? 8790),
    auditLogPort: Number(process.env.AUDIT_LOG_PORT ?? 8791),
    log: (line) => console.log(line),
  });
  console.log(`env-manager    ${platform.envManager.url}  (data ${platform.dataDir})`);
  console.log(`snapshot-cache ${platform.snapshotCache.url}`);
  console.log(`telemetry      ${platform.operators.exporter.url}/metrics`);
  console.log(`audit-log      ${platform.operators.auditLog.url}/v1/audit`);
  const stop = async () => {
    await platform.close();
    process.exit(0);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
