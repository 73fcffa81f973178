// The operators' side of the local platform: the telemetry exporter (OTLP in, Prometheus
// `/metrics` and traces out; default port 8790) and the audit-log service (default port 8791),
// started before env-manager and snapshot-cache so they can send their spans to the exporter.
import { join } from "node:path";
import { type AuditLogHandle, startAuditLog } from "./audit-log/server.ts";
import type { LogSink } from "./service-log.ts";
import { type ExporterHandle, startExporter } from "./telemetry/exporter/server.ts";

export interface OperatorsOptions {
  dataDir: string;
  token: string;
  telemetryPort?: number;
  auditLogPort?: number;
  /** Where the services' JSON log lines go (service-log.ts). */
  log?: LogSink;
}

export interface OperatorsHandle {
  exporter: ExporterHandle;
  auditLog: AuditLogHandle;
  close(): Promise<void>;
}

export async function startOperators(opts: OperatorsOptions): Promise<OperatorsHandle> {
  const exporter = await startExporter({
    port: opts.telemetryPort ?? 0,
    ...(opts.log ? { log: opts.log } : {}),
  });
  let auditLog: AuditLogHandle;
  try {
    auditLog = await startAuditLog({
      port: opts.auditLogPort ?? 0,
      dbPath: join(opts.dataDir, "audit-log", "audit.sqlite"),
      token: opts.token,
      ...(opts.log ? { log: opts.log } : {}),
    });
  } catch (err) {
    await exporter.close();
    throw err;
  }
  // close() reads the fields, so a service a test restarted (a new handle) is the one closed.
  const handle: OperatorsHandle = {
    exporter,
    auditLog,
    async close() {
      await handle.auditLog.close();
      await handle.exporter.close();
    },
  };
  return handle;
}
