// CLI entry: `node infra/local-dev/snapshot-cache/main.ts` starts the snapshot-cache from
// environment variables (see docs/contracts/snapshot-cache.md) and stops it on SIGINT/SIGTERM.
// Every line it prints, the banner included, is a JSON log line (service-log.ts).
import { fileURLToPath } from "node:url";
import { serviceLog } from "../service-log.ts";
import { DEFAULT_BYTE_BUDGET, startSnapshotCache } from "./server.ts";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new Error(`${name}: expected a non-negative integer, got ${JSON.stringify(raw)}`);
  }
  return n;
}

const sink = (line: string) => console.log(line);
const handle = await startSnapshotCache({
  port: intFromEnv("SNAPSHOT_CACHE_PORT", 8789),
  dataDir: process.env.PLATFORM_DATA_DIR || `${repoRoot}.sql-runner/platform`,
  token: process.env.PLATFORM_TOKEN || "dev-platform-token",
  envManagerUrl: process.env.ENV_MANAGER_URL || "http://127.0.0.1:8788",
  byteBudget: intFromEnv("SNAPSHOT_CACHE_BYTE_BUDGET", DEFAULT_BYTE_BUDGET),
  gcIntervalMs: intFromEnv("SNAPSHOT_CACHE_GC_INTERVAL_MS", 60_000),
  log: sink,
});
serviceLog("snapshot-cache", sink).info("listening", { url: handle.url });

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    handle.close().then(() => process.exit(0));
  });
}
