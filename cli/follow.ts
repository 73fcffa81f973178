// Follows a job's numbered events live: a ticket, then the job's WebSocket (docs/live.md), resuming
// with `?after=<last seq>` when the socket drops. When no socket can be opened (a proxy that
// refuses upgrades), it falls back to paging `GET /logs`. Resolves once the terminal status arrives.
import type { JobEvent } from "./api-types.ts";
import type { ApiClient } from "./client.ts";

const MAX_SOCKET_FAILURES = 5;
const POLL_MS = 300;

function isTerminal(event: JobEvent): boolean {
  return event.type === "status" && event.data.terminal === true;
}

export interface FollowOptions {
  signal?: AbortSignal;
  /** Called when the live channel changes (for `--verbose`-like notes). */
  note?: (message: string) => void;
}

export async function followJob(
  client: ApiClient,
  jobId: string,
  onEvent: (event: JobEvent) => void,
  opts: FollowOptions = {},
): Promise<void> {
  let lastSeq = 0;
  let done = false;
  const deliver = (event: JobEvent) => {
    if (typeof event.seq !== "number" || event.seq <= lastSeq) return;
    lastSeq = event.seq;
    onEvent(event);
    if (isTerminal(event)) done = true;
  };
  let failures = 0;
  while (!done && failures < MAX_SOCKET_FAILURES && !opts.signal?.aborted) {
    const opened = await socketOnce(client, jobId, lastSeq, deliver, () => done).catch(() => false);
    if (!done) {
      failures = opened ? 0 : failures + 1;
      if (!opened) await sleep(200 * failures);
    }
  }
  if (!done && !opts.signal?.aborted) opts.note?.("live socket unavailable; polling the event log");
  while (!done && !opts.signal?.aborted) {
    const page = await client.call<{ events: JobEvent[]; done: boolean }>(
      "GET",
      `/v1/jobs/${jobId}/logs?after=${lastSeq}&limit=1000`,
    );
    for (const event of page.events) deliver(event);
    if (page.done) break;
    if (page.events.length === 0) await sleep(POLL_MS);
  }
}

/** One socket session; resolves true if it opened (then closed), false if it never opened. */
async function socketOnce(
  client: ApiClient,
  jobId: string,
  after: number,
  deliver: (event: JobEvent) => void,
  isDone: () => boolean,
): Promise<boolean> {
  const { ticket } = await client.call<{ ticket: string }>("POST", `/v1/jobs/${jobId}/ticket`);
  const url = new URL(`/v1/jobs/${encodeURIComponent(jobId)}/ws`, client.conn.url);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.searchParams.set("ticket", ticket);
  if (after > 0) url.searchParams.set("after", String(after));
  return new Promise<boolean>((resolve) => {
    const ws = new WebSocket(url);
    let opened = false;
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      clearInterval(ping);
      resolve(opened);
    };
    // Keep-alive through proxies that drop idle connections; the runtime answers `pong`.
    const ping = setInterval(() => ws.readyState === WebSocket.OPEN && ws.send("ping"), 20_000);
    ws.onopen = () => {
      opened = true;
    };
    ws.onmessage = (msg) => {
      if (typeof msg.data !== "string" || msg.data === "pong") return;
      let event: unknown;
      try {
        event = JSON.parse(msg.data);
      } catch {
        return;
      }
      if (typeof event === "object" && event !== null && "seq" in event) deliver(event as JobEvent);
      // The server closes with 1000 after the terminal event; the closing handshake through
      // `wrangler dev` can take a long while, and nothing more is coming: do not wait for it.
      if (isDone()) {
        settle();
        ws.close(1000);
      }
    };
    ws.onclose = settle;
    // A refused upgrade (a proxy answering 403) fires `error` and never `close` in Node's
    // WebSocket: without this the CLI would wait forever instead of falling back to polling.
    ws.onerror = settle;
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
