// The Worker isolate's V8 heap, sampled through wrangler's inspector (Chrome DevTools protocol,
// `Runtime.getHeapUsage`). On Workers the 128 MB limit is the isolate's; the process RSS the suite
// also samples holds workerd's runtime and native buffers besides (~165 MB idle under wrangler dev).
import WebSocket from "ws";

export interface HeapPeaks {
  /** Largest `usedSize` seen (live objects and garbage not yet collected). */
  used: number;
  /** Largest `totalSize` seen (the heap V8 had reserved). */
  total: number;
  samples: number;
}

/** Samples the isolate's heap every `everyMs` until `stop()`. */
export async function sampleIsolateHeap(inspectorPort: number, everyMs = 50) {
  const ws = new WebSocket(`ws://127.0.0.1:${inspectorPort}/ws`);
  await new Promise<void>((ok, fail) => {
    ws.once("open", () => ok());
    ws.once("error", fail);
  });
  let nextId = 1;
  const waiting = new Map<number, (result: unknown) => void>();
  ws.on("message", (raw) => {
    const msg = JSON.parse(String(raw)) as { id?: number; result?: unknown };
    if (msg.id !== undefined) waiting.get(msg.id)?.(msg.result);
    if (msg.id !== undefined) waiting.delete(msg.id);
  });
  const usage = () =>
    new Promise<{ usedSize: number; totalSize: number }>((ok) => {
      const id = nextId++;
      waiting.set(id, ok as (r: unknown) => void);
      ws.send(JSON.stringify({ id, method: "Runtime.getHeapUsage" }));
    });
  const peaks: HeapPeaks = { used: 0, total: 0, samples: 0 };
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const u = await usage();
      peaks.used = Math.max(peaks.used, u.usedSize);
      peaks.total = Math.max(peaks.total, u.totalSize);
      peaks.samples++;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop(): Promise<HeapPeaks> {
      stopped = true;
      await loop;
      ws.close();
      return peaks;
    },
  };
}
