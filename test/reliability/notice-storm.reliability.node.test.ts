// The notice storm (issue 9): a head raising 60,000 NOTICEs, then the whole event log replayed
// once over SSE (`GET /logs`, text/event-stream) and once over a WebSocket, against `wrangler dev`
// as `npm start` runs it. Before the event cap and paged replay, this took the Worker's process
// from 460 MB to over 22 GB. The test samples the RSS of the Worker's workerd process (from /proc)
// through all of it and prints the first sample and each phase's peak, for docs/benchmarks.md.
// What it checks is the growth over the idle Worker, at most 200 MB (the 22 GB failure would cross
// it a hundred times over). Issue 9's target is 200 MB for the whole process; the idle workerd of
// `wrangler dev` already takes ~165 MB here, so that target is reported, not asserted. The
// isolate's V8 heap (what Workers limits to 128 MB) is sampled through the inspector and asserted.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { GATEWAY_TOKEN } from "../../bench/live/stack.ts";
import { sampleIsolateHeap } from "./isolate-heap.ts";
import {
  api,
  type ReliabilityStack,
  sampleRss,
  startReliabilityStack,
  waitEnded,
} from "./stack.ts";

const NOTICES = 60_000;
const MB = 1e6;

let stack: ReliabilityStack;
beforeAll(async () => {
  stack = await startReliabilityStack();
});
afterAll(async () => {
  await stack?.close();
});

/** Every event of an SSE response, counted as it streams (the stream ends for a finished job). */
async function sseReplay(jobId: string, user: string): Promise<{ events: number; last: number }> {
  const res = await api(stack.url, `/v1/jobs/${jobId}/logs?after=0`, {
    user,
    accept: "text/event-stream",
  });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
  let events = 0;
  let last = 0;
  let carry = "";
  const decoder = new TextDecoder();
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    carry += decoder.decode(chunk, { stream: true });
    const blocks = carry.split("\n\n");
    carry = blocks.pop() ?? "";
    for (const block of blocks) {
      const id = /^id: (\d+)$/m.exec(block)?.[1];
      if (id === undefined) continue;
      events++;
      last = Number(id);
    }
  }
  return { events, last };
}

/** Every event over WebSockets: a replay cut at the per-connection cap (close 4000, the last
 * seq as reason) is resumed with `?after=`, as a client does, until the job's 1000 close. */
async function wsReplay(jobId: string, user: string): Promise<{ events: number; sockets: number }> {
  let after = 0;
  let events = 0;
  for (let sockets = 1; sockets <= 1_000; sockets++) {
    const url = `${stack.url.replace("http", "ws")}/v1/jobs/${jobId}/ws?after=${after}`;
    const ws = new WebSocket(url, {
      headers: { authorization: `Bearer ${GATEWAY_TOKEN}`, "x-user-id": user },
      perMessageDeflate: false,
    });
    const { code, reason } = await new Promise<{ code: number; reason: string }>((ok, fail) => {
      ws.on("message", (raw) => {
        events++;
        after = (JSON.parse(String(raw)) as { seq: number }).seq;
      });
      ws.once("error", fail);
      ws.once("close", (c, r) => ok({ code: c, reason: String(r) }));
    });
    if (code === 1000) return { events, sockets };
    expect(code).toBe(4000);
    expect(Number(reason)).toBe(after);
  }
  throw new Error("the WebSocket replay did not end within 1,000 sockets");
}

describe("notice storm", () => {
  it(`${NOTICES} NOTICEs, then SSE and WebSocket replay: the Worker grows by 200 MB at most`, async () => {
    const user = `storm-${Date.now()}`;
    const rss = sampleRss(stack.port);
    const heap = await sampleIsolateHeap(stack.inspectorPort());
    rss.phase("job");
    const started = Date.now();
    const created = await api(stack.url, "/v1/jobs", {
      body: {
        request_id: `storm-${Date.now()}`,
        user_id: user,
        project_tree: {
          "init/01.sql": "CREATE TABLE storm (n int);",
          "test/storm.sql": `DO $$ BEGIN FOR i IN 1..${NOTICES} LOOP RAISE NOTICE 'notice %', i; END LOOP; END $$;`,
        },
        head_path: "test/storm.sql",
        timeout_ms: 600_000,
      },
    });
    expect(created.status).toBe(202);
    const { job_id } = (await created.json()) as { job_id: string };
    const view = await waitEnded(stack.url, job_id, user, 600_000);
    expect(view.error).toBeNull();
    expect(view.status).toBe("completed");
    const ran = Date.now();
    rss.phase("sse");
    const sse = await sseReplay(job_id, user);
    const sseDone = Date.now();
    rss.phase("ws");
    const ws = await wsReplay(job_id, user);
    const { peak, peaks, first, samples } = await rss.stop();
    const isolate = await heap.stop();
    // Both replays see every stored event: the cap stored 5,000 notices and one summary.
    expect(ws.events).toBe(sse.events);
    expect(sse.events).toBeGreaterThan(5_000);
    expect(sse.events).toBeLessThan(NOTICES);
    const page = await api(stack.url, `/v1/jobs/${job_id}/logs?after=${sse.last - 1}`, { user });
    expect(((await page.json()) as { events: unknown[] }).events).toHaveLength(1);
    const figures = {
      notice_storm: {
        notices: NOTICES,
        stored_events: sse.events,
        ws_sockets: ws.sockets,
        worker_rss_mb: {
          first: Math.round(first / MB),
          peak: Math.round(peak / MB),
          ...Object.fromEntries(Object.entries(peaks).map(([k, v]) => [k, Math.round(v / MB)])),
        },
        rss_samples: samples,
        isolate_heap_mb: {
          peak_used: Math.round(isolate.used / MB),
          peak_total: Math.round(isolate.total / MB),
          samples: isolate.samples,
        },
        seconds: {
          job: (ran - started) / 1000,
          sse: (sseDone - ran) / 1000,
          ws: (Date.now() - sseDone) / 1000,
        },
      },
    };
    console.log(JSON.stringify(figures));
    expect(samples).toBeGreaterThan(10);
    expect(first).toBeGreaterThan(0);
    expect(peak - first).toBeLessThanOrEqual(200 * MB);
    // The isolate's own limit on Workers: its heap, garbage included, stays far inside 128 MB.
    expect(isolate.samples).toBeGreaterThan(10);
    expect(isolate.total).toBeLessThanOrEqual(128 * MB);
  });
});
