// For the integration tests that take the operators' services away: a loopback control endpoint
// (`POST /<exporter|audit-log>/<stop|start>`) that stops the real telemetry exporter or audit-log
// service and starts it again on the same port (the audit-log on the same SQLite file), so a
// test inside workerd can check that jobs go on while one is down and what arrives once it is back.
// `GET /logs?since=<n>` answers the platform services' log lines kept in the ring (log-ring.ts).
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { startAuditLog } from "../../infra/local-dev/audit-log/server.ts";
import type { OperatorsHandle } from "../../infra/local-dev/operators.ts";
import { startExporter } from "../../infra/local-dev/telemetry/exporter/server.ts";
import type { LogRing } from "./log-ring.ts";

export async function startOperatorsControl(
  operators: OperatorsHandle,
  auditDbPath: string,
  token: string,
  /** The ring `GET /logs` reads, and the sink (writing into it) a restarted service logs to. */
  logs: { ring: LogRing; sink: (line: string) => void },
): Promise<{ url: string; close(): Promise<void> }> {
  const down = new Set<string>();
  const actions: Record<string, () => Promise<void>> = {
    "exporter/stop": async () => {
      await operators.exporter.close();
    },
    "exporter/start": async () => {
      operators.exporter = await startExporter({ port: operators.exporter.port, log: logs.sink });
    },
    "audit-log/stop": async () => {
      await operators.auditLog.close();
    },
    "audit-log/start": async () => {
      operators.auditLog = await startAuditLog({
        port: operators.auditLog.port,
        dbPath: auditDbPath,
        token,
        log: logs.sink,
      });
    },
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (req.method === "GET" && url.pathname === "/logs") {
      const since = Number(url.searchParams.get("since") ?? "0");
      const body = JSON.stringify(logs.ring.since(Number.isSafeInteger(since) ? since : 0));
      res.writeHead(200, { "content-type": "application/json" }).end(body);
      return;
    }
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
