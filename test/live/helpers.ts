// Helpers for the live tests inside workerd: open a job's WebSocket through the worker, collect
// its frames, wait for its close; read an SSE response; long-mode jobs whose events the test drives.
import { exports } from "cloudflare:workers";
import type { JobEvent } from "../../src/jobs/model.ts";
import { call, uid } from "../api/helpers.ts";
import { project } from "../jobs/helpers.ts";

export const BASE = "http://sql-runner.test";

export interface Subscriber {
  events: JobEvent[];
  /** Frames that are not job events (pong, error frames). */
  others: string[];
  closed: Promise<{ code: number; reason: string }>;
  ws: WebSocket;
  /** Resolves once an event with seq >= `seq` (or the close) has arrived. */
  reached(seq: number): Promise<void>;
  /** Resolves at the next non-event frame. */
  nextOther(): Promise<string>;
}

/** Opens `/v1/jobs/{id}/ws` with the given query; throws if the upgrade was refused. */
export async function subscribe(
  jobId: string,
  query: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<Subscriber> {
  const res = await upgrade(jobId, query, headers);
  if (res.status !== 101 || !res.webSocket) {
    throw new Error(`upgrade refused: ${res.status} ${await res.text()}`);
  }
  const ws = res.webSocket;
  const events: JobEvent[] = [];
  const others: string[] = [];
  let wake: () => void = () => {};
  let closed = false;
  const changed = () => {
    const w = wake;
    wake = () => {};
    w();
  };
  const closedP = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.addEventListener("close", (e) => {
      closed = true;
      resolve({ code: e.code, reason: e.reason });
      changed();
    });
  });
  ws.addEventListener("message", (e) => {
    const text = typeof e.data === "string" ? e.data : new TextDecoder().decode(e.data);
    const parsed: unknown = text.startsWith("{") ? JSON.parse(text) : null;
    if (parsed && typeof parsed === "object" && "seq" in parsed) events.push(parsed as JobEvent);
    else others.push(text);
    changed();
  });
  ws.accept();
  const waitChange = () => new Promise<void>((r) => (wake = r));
  return {
    events,
    others,
    closed: closedP,
    ws,
    async reached(seq) {
      while (!closed && (events.at(-1)?.seq ?? 0) < seq) await waitChange();
    },
    async nextOther() {
      const n = others.length;
      while (others.length === n) {
        if (closed) throw new Error("closed before the next frame");
        await waitChange();
      }
      return others[n] as string;
    },
  };
}

export function upgrade(
  jobId: string,
  query: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<Response> {
  const qs = new URLSearchParams(query).toString();
  return exports.default.fetch(`${BASE}/v1/jobs/${jobId}/ws${qs ? `?${qs}` : ""}`, {
    headers: { Upgrade: "websocket", ...headers },
  });
}

export async function ticketFor(jobId: string, user: string): Promise<string> {
  const res = await call(`/v1/jobs/${jobId}/ticket`, { method: "POST", user });
  if (res.status !== 200) throw new Error(`ticket: ${res.status} ${await res.text()}`);
  return (await res.json<{ ticket: string }>()).ticket;
}

/** Every stored event of a job, through the JSON `logs` endpoint (the reference sequence). */
export async function storedEvents(jobId: string, user: string): Promise<JobEvent[]> {
  const out: JobEvent[] = [];
  let after = 0;
  for (;;) {
    const res = await call(`/v1/jobs/${jobId}/logs?after=${after}&limit=1000`, { user });
    const page = await res.json<{ events: JobEvent[]; next_after: number }>();
    out.push(...page.events);
    if (page.events.length < 1000) return out;
    after = page.next_after;
  }
}

export interface LongJob {
  jobId: string;
  user: string;
  tree: Record<string, string>;
}

/** A long-mode job: pending until the test appends its parts and runs it. */
export async function longJob(): Promise<LongJob> {
  const user = uid("user");
  const res = await call("/v1/jobs", {
    body: { request_id: uid("req"), user_id: user, mode: "long" },
  });
  if (res.status !== 202) throw new Error(`create: ${res.status} ${await res.text()}`);
  const { job_id } = await res.json<{ job_id: string }>();
  return { jobId: job_id, user, tree: project() };
}

/** Appends part `part` (1-based) of the job's three-file tail plus a head. */
export async function appendPart(job: LongJob, part: 1 | 2 | 3): Promise<void> {
  const names = Object.keys(job.tree);
  const files: Record<string, string>[] = [
    { [names[0] as string]: job.tree[names[0] as string] as string },
    {
      [names[1] as string]: job.tree[names[1] as string] as string,
      [names[2] as string]: job.tree[names[2] as string] as string,
    },
    { [names[3] as string]: job.tree[names[3] as string] as string },
  ];
  const res = await call(`/v1/jobs/${job.jobId}/append`, {
    body: { part, project_tree: files[part - 1] },
    user: job.user,
  });
  if (res.status !== 200) throw new Error(`append: ${res.status} ${await res.text()}`);
}

export async function runJob(job: LongJob): Promise<void> {
  const names = Object.keys(job.tree);
  const res = await call(`/v1/jobs/${job.jobId}/run`, {
    body: { head_path: names[3] },
    user: job.user,
  });
  if (res.status !== 202) throw new Error(`run: ${res.status} ${await res.text()}`);
}

export interface SseFrame {
  id: number;
  /** The `event:` field, if any (the server sends none: everything is a plain message). */
  event: string | undefined;
  data: JobEvent;
}

/** Reads an SSE body to its end (the server closes it after the terminal event). */
export async function readSse(res: Response): Promise<SseFrame[]> {
  const text = await res.text();
  const frames: SseFrame[] = [];
  for (const block of text.split("\n\n")) {
    if (!block.trim()) continue;
    const fields = new Map<string, string>();
    for (const line of block.split("\n")) {
      const i = line.indexOf(": ");
      if (i > 0) fields.set(line.slice(0, i), line.slice(i + 2));
    }
    frames.push({
      id: Number(fields.get("id")),
      event: fields.get("event"),
      data: JSON.parse(fields.get("data") ?? "null") as JobEvent,
    });
  }
  return frames;
}
