// The isolate's audit buffer is bounded: records past MAX_AUDIT are dropped at once (not kept in
// memory), and while the AUDIT queue is down a failed send puts back at most MAX_AUDIT, so what
// arrives meanwhile is dropped too; once the queue answers, the kept records are delivered once
// each (docs/limits.md). The queue is a stand-in so the fault (every batch refused) can be injected.
import { describe, expect, it } from "vitest";
import type { AuditRecord } from "../../src/telemetry/audit-record.ts";
import {
  type AuditQueue,
  audit,
  configureTelemetry,
  flushTelemetry,
  MAX_AUDIT,
} from "../../src/telemetry/telemetry.ts";

function recordingQueue(): { queue: AuditQueue; delivered: AuditRecord[] } {
  const delivered: AuditRecord[] = [];
  return {
    delivered,
    queue: {
      sendBatch: async (messages) => {
        for (const m of messages) delivered.push(m.body as AuditRecord);
      },
    },
  };
}

const requestIds = (records: AuditRecord[]) => new Set(records.map((r) => r.request_id));
const range = (from: number, to: number, tag: string) =>
  new Set(Array.from({ length: to - from }, (_, i) => `${tag}${from + i}`));

describe("audit buffer", () => {
  it(`holds at most ${MAX_AUDIT} records between flushes`, async () => {
    const { queue, delivered } = recordingQueue();
    configureTelemetry({ TELEMETRY_URL: "", AUDIT: queue });
    for (let i = 0; i < MAX_AUDIT + 250; i++) {
      audit({ action: "job.view", result: "ok", request_id: `a${i}` });
    }
    await flushTelemetry();
    expect(delivered).toHaveLength(MAX_AUDIT);
    expect(requestIds(delivered)).toEqual(range(0, MAX_AUDIT, "a"));
  });

  it(`keeps at most ${MAX_AUDIT} records while the queue is down`, async () => {
    let refused = 0;
    const down: AuditQueue = {
      sendBatch: async () => {
        refused++;
        throw new Error("queue unavailable");
      },
    };
    configureTelemetry({ TELEMETRY_URL: "", AUDIT: down });
    for (let i = 0; i < MAX_AUDIT; i++)
      audit({ action: "job.view", result: "ok", request_id: `b${i}` });
    await flushTelemetry();
    expect(refused).toBeGreaterThan(0);
    // Put back after the failed send: the buffer is full again, so these are dropped.
    for (let i = 0; i < 250; i++)
      audit({ action: "job.view", result: "ok", request_id: `late${i}` });

    const { queue, delivered } = recordingQueue();
    configureTelemetry({ TELEMETRY_URL: "", AUDIT: queue });
    await flushTelemetry();
    expect(delivered).toHaveLength(MAX_AUDIT);
    expect(new Set(delivered.map((r) => r.id)).size).toBe(MAX_AUDIT);
    expect(requestIds(delivered)).toEqual(range(0, MAX_AUDIT, "b"));
    await flushTelemetry();
    expect(delivered).toHaveLength(MAX_AUDIT);
  });
});
