// env-manager's and snapshot-cache's span buffer is bounded: at most MAX_PENDING spans wait for
// the next export; the rest are dropped and counted in `<service>_spans_dropped_total`. The batch
// is held (flushMs of an hour) so that the requests fill the buffer before anything is sent; then
// one flush delivers exactly MAX_PENDING spans to the real exporter.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ExporterHandle,
  startExporter,
} from "../../../infra/local-dev/telemetry/exporter/server.ts";
import {
  MAX_PENDING,
  ServiceTelemetry,
} from "../../../infra/local-dev/telemetry/service-telemetry.ts";
import { parseExposition } from "../../support/prometheus.ts";

const TRACE = "5bf92f3577b34da6a3ce929d0e0e4736";
const OVER = 25;
let exporter: ExporterHandle;
let server: Server;
let telemetry: ServiceTelemetry;
let base: string;

beforeAll(async () => {
  exporter = await startExporter();
  telemetry = new ServiceTelemetry({
    service: "snapshot-cache",
    token: "t0ken",
    telemetryUrl: exporter.url,
    log: () => {},
    flushMs: 3_600_000,
  });
  server = createServer(
    telemetry.wrap((_req, res) => {
      res.writeHead(204);
      res.end();
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  await exporter?.close();
});

async function dropped(): Promise<number | undefined> {
  const res = await fetch(`${base}/metrics`, { headers: { authorization: "Bearer t0ken" } });
  return parseExposition(await res.text()).value("snapshot_cache_spans_dropped_total");
}

describe("service span buffer", () => {
  it(`keeps ${MAX_PENDING} spans between exports and counts the rest as dropped`, async () => {
    const total = MAX_PENDING + OVER;
    let next = 0;
    // 16 requests at a time, each with a traceparent (only those become spans).
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < total) {
          const i = next++;
          const res = await fetch(`${base}/v1/layers/${i}`, {
            headers: { traceparent: `00-${TRACE}-${(i + 1).toString(16).padStart(16, "0")}-01` },
          });
          expect(res.status).toBe(204);
        }
      }),
    );
    // A span is queued when its response finishes: wait for the last ones to be counted.
    await expect.poll(dropped, { timeout: 10_000 }).toBe(OVER);

    await telemetry.flush();
    const res = await fetch(`${exporter.url}/v1/traces?trace_id=${TRACE}`);
    const { spans } = (await res.json()) as { spans: unknown[] };
    expect(spans).toHaveLength(MAX_PENDING);
    expect(await dropped()).toBe(OVER);
  });
});
