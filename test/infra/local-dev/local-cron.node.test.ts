import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { cronSchedules, startLocalCron } from "../../../infra/local-dev/local-cron.ts";
import { ROOT } from "../../../infra/local-dev/stack.ts";

describe("local cron (npm start)", () => {
  it("reads the schedules of wrangler.toml", () => {
    expect(cronSchedules(ROOT)).toEqual(["*/15 * * * *"]);
  });

  it("fires the scheduled handler through /__scheduled on its schedule", async () => {
    const hits: string[] = [];
    const server = createServer((req, res) => {
      hits.push(req.url ?? "");
      res.end("Ran scheduled event");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const lines: string[] = [];
    // Every second (croner's six-field form), so the test need not wait for a quarter hour.
    const stop = startLocalCron(url, ["* * * * * *"], (l) => lines.push(l));
    try {
      await expect.poll(() => hits.length, { timeout: 10_000, interval: 100 }).toBeGreaterThan(0);
    } finally {
      stop();
      server.close();
    }
    expect(hits[0]).toBe(`/__scheduled?cron=${encodeURIComponent("* * * * * *")}`);
    expect(lines[0]).toContain("answered 200");
  });
});
