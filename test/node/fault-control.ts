// For the integration tests of failure attribution: a loopback endpoint that does to a running
// instance what no request can, `POST /instances/<id>/kill` sends SIGKILL to its postmaster (a
// PostgreSQL crash as the job sees it: the session drops, the instance is dead). Node side only;
// the tests inside workerd reach it by the injected `faultControlUrl`.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { EnvManagerHandle } from "../../infra/local-dev/env-manager/server.ts";

export async function startFaultControl(
  envManager: EnvManagerHandle,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const id = /^\/instances\/([^/]+)\/kill$/.exec(req.url ?? "")?.[1];
    if (req.method !== "POST" || !id) {
      res.writeHead(404).end();
      return;
    }
    let pid: number | null = null;
    try {
      pid = envManager.manager.get(decodeURIComponent(id)).instance.pid;
    } catch {
      // Unknown instance: answered below.
    }
    if (pid === null) {
      res.writeHead(409).end("no running postmaster for that instance");
      return;
    }
    process.kill(pid, "SIGKILL");
    res.writeHead(204).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
