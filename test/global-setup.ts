// Starts the local platform (env-manager + snapshot-cache on real PostgreSQL) for the integration
// project on free ports with a throwaway data root, and provides its URLs and token to the tests
// (`inject()`) and to the Worker's bindings (vitest.config.ts reads them through cloudflareTest's
// `inject`). Runs in Node, once per vitest run.
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { startPlatform } from "../infra/local-dev/platform.ts";
import { startFaultControl } from "./node/fault-control.ts";
import { LogRing } from "./node/log-ring.ts";
import { dumpMetrics } from "./node/metrics-dump.ts";
import { startOperatorsControl } from "./node/operators-control.ts";
import { startWebhookReceiver, TEST_WEBHOOK_SECRET } from "./support/webhook-receiver.ts";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dataDir = await mkdtemp(join(tmpdir(), "sql-runner-platform-"));
  const token = "dev-platform-token";
  // Every platform service's log lines, for the marker test (GET <operatorsControlUrl>/logs);
  // errors also reach stderr, as they would without a sink.
  const logs = new LogRing();
  const log = (line: string) => {
    logs.push(line);
    if (line.startsWith('{"level":"error"')) process.stderr.write(`${line}\n`);
  };
  const platform = await startPlatform({
    dataDir,
    token,
    gcIntervalMs: 0,
    log,
    // A fixed scratch root: a run killed midway leaves `<pid>-*` directories the next run sweeps.
    envManager: {
      workDir: existsSync("/dev/shm")
        ? "/dev/shm/sql-runner-tests"
        : join(tmpdir(), "sql-runner-tests"),
      pool: { perSource: 1, recentSources: 4, maxTotal: 3 },
      // A layer is published seconds after it is written; the default 10-minute "not published
      // yet" protection would keep every layer a test writes past its 60 s snapshot_ttl for the
      // whole run, and the GC test (test/lifecycle/gc-expired-jobs) could never see one collected.
      publishGraceMs: 60_000,
    },
  });
  project.provide("envManagerUrl", platform.envManager.url);
  project.provide("snapshotCacheUrl", platform.snapshotCache.url);
  project.provide("platformToken", token);
  const receiver = await startWebhookReceiver(TEST_WEBHOOK_SECRET);
  project.provide("webhookReceiverUrl", receiver.url);
  project.provide("telemetryUrl", platform.operators.exporter.url);
  project.provide("auditLogUrl", platform.operators.auditLog.url);
  const control = await startOperatorsControl(
    platform.operators,
    join(dataDir, "audit-log", "audit.sqlite"),
    token,
    { ring: logs, sink: log },
  );
  project.provide("operatorsControlUrl", control.url);
  const faults = await startFaultControl(platform.envManager);
  project.provide("faultControlUrl", faults.url);
  return async () => {
    await faults.close();
    const dumpDir = process.env.SQL_RUNNER_METRICS_DUMP;
    if (dumpDir) {
      await dumpMetrics(dumpDir, [
        { service: "telemetry-exporter", url: platform.operators.exporter.url },
        { service: "env-manager", url: platform.envManager.url, token },
        { service: "snapshot-cache", url: platform.snapshotCache.url, token },
      ]);
    }
    await control.close();
    await receiver.close();
    await platform.close();
    await rm(dataDir, { recursive: true, force: true });
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    envManagerUrl: string;
    snapshotCacheUrl: string;
    platformToken: string;
    webhookReceiverUrl: string;
    telemetryUrl: string;
    auditLogUrl: string;
    operatorsControlUrl: string;
    faultControlUrl: string;
  }
}
