// For the integration tests that take the operators' services away: a loopback control endpoint
// (`POST /<exporter|audit-log>/<stop|start>`) that stops the real telemetry exporter or audit-log
// service and starts it again on the same port (the audit-log on the same SQLite file), so a
// test inside workerd can check that jobs go on while one is down and what arrives once it is back.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { startAuditLog } from "../../infra/local-dev/audit-log/server.ts";
import type { OperatorsHandle } from "../../infra/local-dev/operators.ts";
import { startExporter } from "../../infra/local-dev/telemetry/exporter/server.ts";

export async function startOperatorsControl(
  operators: OperatorsHandle,
  auditDbPath: string,
  token: string,
): Promise<{ url: string; close(): Promise<void> }> {
  const down = new Set<string>();
  const actions: Record<string, () => Promise<void>> = {
    "exporter/stop": async () => {
      await operators.exporter.close();
    },
    "exporter/start": async () => {
      operators.exporter = await startExporter({ port: operators.exporter.port });
    },
    "audit-log/stop": async () => {
      await operators.auditLog.close();
    },
    "audit-log/start": async () => {
      operators.auditLog = await startAuditLog({
        port: operators.auditLog.port,
        dbPath: auditDbPath,
        token,
      });
    },
  };
  const server = createServer((req, res) => {
    const key = (req.url ?? "").replace(/^\//, "");
    const action = req.method === "POST" ? actions[key] : undefined;
    const [service, verb] = key.split("/");
    if (!action || !service || (verb === "stop") === down.has(service)) {
      res.writeHead(409).end();
      return;
    }
    action().then(
      () => {
        if (verb === "stop") down.add(service);
        else down.delete(service);
        res.writeHead(204).end();
      },
      (err: unknown) => res.writeHead(500).end(String(err)),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (down.has("exporter")) await actions["exporter/start"]?.();
      if (down.has("audit-log")) await actions["audit-log/start"]?.();
    },
  };
}
