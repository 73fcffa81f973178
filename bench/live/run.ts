// `npm run bench:live`: many WebSocket subscribers on one job through `wrangler dev` (loopback).
// In one run: a baseline job with 1 subscriber, then a job with N subscribers (default 1,000). For
// each, the bench appends parts to the long-mode job one at a time (each append stores one event)
// and measures, per subscriber and event, the time from the event's stored `ts` to its arrival,
// and from the append request to its arrival; then it runs the job to the end (all must see the
// terminal event and a 1000 close). Memory: RSS of the workerd process(es) read from /proc.
import WebSocket from "ws";
import { gateway, startLiveStack, type WorkerdMemory, workerdMemory } from "./stack.ts";

const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 1000);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 30);
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 15_000);
const WAIT_MS = 60_000;

interface JobEventLite {
  seq: number;
  type: string;
  ts: string;
  data: Record<string, unknown>;
}

function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
}

const mib = (bytes: number) => (bytes / (1 << 20)).toFixed(1);

class Subscriber {
  readonly arrivals = new Map<number, number>();
  readonly events: JobEventLite[] = [];
  closeCode = 0;
  readonly ws: WebSocket;
  readonly opened: Promise<void>;
  readonly closed: Promise<void>;

  constructor(url: string, onEvent: (event: JobEventLite) => void) {
    this.ws = new WebSocket(url, { perMessageDeflate: false });
    this.opened = new Promise((ok, fail) => {
      this.ws.once("open", () => ok());
      this.ws.once("error", fail);
    });
    this.closed = new Promise((ok) =>
      this.ws.once("close", (code) => {
        this.closeCode = code;
        ok();
      }),
    );
    this.ws.on("message", (raw) => {
      const now = Date.now();
      const event = JSON.parse(String(raw)) as JobEventLite;
      this.arrivals.set(event.seq, now);
      this.events.push(event);
      onEvent(event);
    });
  }
}

/** Counts arrivals of one awaited event across all subscribers (O(1) per message). */
class Awaiter {
  #match: ((e: JobEventLite) => boolean) | null = null;
  #remaining = 0;
  #done: () => void = () => {};

  expect(count: number, match: (e: JobEventLite) => boolean, what: string): Promise<void> {
    this.#match = match;
    this.#remaining = count;
    return new Promise((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`timed out waiting for ${what}`)), WAIT_MS);
      this.#done = () => {
        clearTimeout(timer);
        this.#match = null;
        ok();
      };
    });
  }

  seen(event: JobEventLite): void {
    if (this.#match?.(event) && --this.#remaining === 0) this.#done();
  }
}

interface Phase {
  subscribers: number;
  storedToDelivered: number[];
  requestToDelivered: number[];
  spread: number[];
  rssIdle: WorkerdMemory;
  rssConnected: WorkerdMemory;
  rssAfterIdle: WorkerdMemory;
  rssEnd: WorkerdMemory;
  allSame: boolean;
  allClosed1000: boolean;
  events: number;
}

async function phase(
  base: string,
  memory: () => Promise<WorkerdMemory>,
  n: number,
): Promise<Phase> {
  const user = `bench-${crypto.randomUUID()}`;
  const tag = crypto.randomUUID().slice(0, 8).replace(/-/g, "");
  const created = await gateway(base, "/v1/jobs", {
    body: {
      request_id: crypto.randomUUID(),
      user_id: user,
      mode: "long",
      project_tree: {
        "init/01_t.sql": `CREATE TABLE t_${tag} (n int);`,
        "test/sum.sql": `SELECT sum(n) FROM t_${tag};`,
      },
    },
  });
  if (created.status !== 202) throw new Error(`create ${created.status}`);
  const { job_id: jobId } = (await created.json()) as { job_id: string };
  const rssIdle = await memory();

  const awaiter = new Awaiter();
  const subs: Subscriber[] = [];
  for (let i = 0; i < n; i += 100) {
    const t = await gateway(base, `/v1/jobs/${jobId}/ticket`, { method: "POST", user });
    const { ws_url } = (await t.json()) as { ws_url: string };
    const batch = Array.from(
      { length: Math.min(100, n - i) },
      () => new Subscriber(ws_url, (e) => awaiter.seen(e)),
    );
    const backlog = awaiter.expect(batch.length, (e) => e.seq === 1, "backlog");
    await Promise.all(batch.map((s) => s.opened));
    await backlog;
    subs.push(...batch);
  }
  const rssConnected = await memory();

  const storedToDelivered: number[] = [];
  const requestToDelivered: number[] = [];
  const spread: number[] = [];
  const measure = async (part: number) => {
    // Each append stores exactly one event (a log line naming the part).
    const message = `part ${part}: 1 file(s)`;
    const arrived = awaiter.expect(subs.length, (e) => e.data.message === message, message);
    const sent = Date.now();
    const res = await gateway(base, `/v1/jobs/${jobId}/append`, {
      body: {
        part,
        project_tree: {
          [`seed/${String(part).padStart(3, "0")}.sql`]: `INSERT INTO t_${tag} VALUES (${part});`,
        },
      },
      user,
    });
    if (res.status !== 200) throw new Error(`append ${res.status}`);
    await arrived;
    const event = subs[0]?.events.find((e) => e.data.message === message);
    const seq = event?.seq ?? 0;
    const ts = Date.parse(event?.ts ?? "");
    const arrivals = subs.map((s) => s.arrivals.get(seq) ?? Number.NaN);
    for (const at of arrivals) {
      storedToDelivered.push(at - ts);
      requestToDelivered.push(at - sent);
    }
    spread.push(Math.max(...arrivals) - Math.min(...arrivals));
  };
  for (let part = 1; part <= EVENTS; part++) await measure(part);

  // Idle long enough for the object to be hibernation-eligible, then one more event wakes it.
  await new Promise((r) => setTimeout(r, IDLE_MS));
  const rssAfterIdle = await memory();
  await measure(EVENTS + 1);

  const run = await gateway(base, `/v1/jobs/${jobId}/run`, {
    body: { head_path: "test/sum.sql" },
    user,
  });
  if (run.status !== 202) throw new Error(`run ${run.status}`);
  await Promise.race([
    Promise.all(subs.map((s) => s.closed)),
    new Promise((_, fail) =>
      setTimeout(() => fail(new Error("subscribers did not close")), WAIT_MS),
    ),
  ]);
  const reference = JSON.stringify(subs[0]?.events.map((e) => e.seq));
  const logs = (await (
    await gateway(base, `/v1/jobs/${jobId}/logs?limit=1000`, { user })
  ).json()) as {
    events: JobEventLite[];
  };
  const allSame =
    reference === JSON.stringify(logs.events.map((e) => e.seq)) &&
    subs.every((s) => JSON.stringify(s.events.map((e) => e.seq)) === reference);
  const rssEnd = await memory();
  return {
    subscribers: n,
    storedToDelivered,
    requestToDelivered,
    spread,
    rssIdle,
    rssConnected,
    rssAfterIdle,
    rssEnd,
    allSame,
    allClosed1000: subs.every((s) => s.closeCode === 1000),
    events: logs.events.length,
  };
}

const stack = await startLiveStack();
try {
  const memory = () => workerdMemory(stack.port);
  // Warm-up: the first job pays for module compilation and the first Durable Object.
  await phase(stack.url, memory, 1);
  const baseline = await phase(stack.url, memory, 1);
  const many = await phase(stack.url, memory, SUBSCRIBERS);
  const ms = (xs: number[], p: number) => percentile(xs, p).toFixed(0);
  const latency = (p: Phase) =>
    `| ${p.subscribers} | ${ms(p.storedToDelivered, 50)} | ${ms(p.storedToDelivered, 99)} | ${ms(p.requestToDelivered, 50)} | ${ms(p.requestToDelivered, 99)} | ${ms(p.spread, 50)} | ${p.allSame && p.allClosed1000 ? "yes" : "NO"} |`;
  const mem = (p: Phase, which: keyof WorkerdMemory) =>
    `| ${p.subscribers} | ${which} | ${mib(p.rssIdle[which])} | ${mib(p.rssConnected[which])} | ${mib(p.rssAfterIdle[which])} | ${mib(p.rssEnd[which])} |`;
  console.log(
    `\n${EVENTS + 1} measured events per phase (${many.events} events per job in all).\n`,
  );
  console.log(
    "| subscribers | stored→delivered p50 ms | p99 ms | append request→delivered p50 ms | p99 ms | first→last subscriber p50 ms | same sequence for all, 1000 close |",
  );
  console.log("|---|---|---|---|---|---|---|");
  console.log(latency(baseline));
  console.log(latency(many));
  console.log(
    "\n| subscribers | workerd | RSS before subscribing MiB | subscribed MiB | after idle MiB | after close MiB |",
  );
  console.log("|---|---|---|---|---|---|");
  for (const which of ["worker", "proxy"] as const) {
    console.log(mem(baseline, which));
    console.log(mem(many, which));
  }
  const ratio =
    percentile(many.storedToDelivered, 50) /
    Math.max(1, percentile(baseline.storedToDelivered, 50));
  const perSub = (which: keyof WorkerdMemory) =>
    ((many.rssConnected[which] - many.rssIdle[which]) / SUBSCRIBERS / 1024).toFixed(1);
  console.log(
    `\np50 stored→delivered, ${SUBSCRIBERS} vs 1 subscriber: ${ratio.toFixed(1)}x; RSS per subscriber: worker ${perSub("worker")} KiB, dev proxy ${perSub("proxy")} KiB`,
  );
} finally {
  await stack.close();
}
