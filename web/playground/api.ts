// The page's calls to its page-session API (the gateway's job; /play/api under `npm start`) and
// the job's WebSocket, resumed with `?after=` and a fresh ticket when it drops. A socket refused
// before it opens is asked about (`diagnose`) so the page can say why instead of "code 1006".

export interface JobEvent {
  seq: number;
  type: string;
  ts: string;
  data: Record<string, unknown>;
}

export interface Started {
  job_id: string;
  ticket: string;
  ws_url: string;
}

export class ApiError extends Error {
  readonly code: string;
  readonly details: Record<string, unknown>;
  constructor(code: string, message: string, details: Record<string, unknown>) {
    super(message);
    this.code = code;
    this.details = details;
  }
}

function sessionId(): string {
  const key = "sql-runner.playground.session";
  let id = localStorage.getItem(key);
  if (!id) {
    id = crypto.randomUUID().replace(/-/g, "");
    localStorage.setItem(key, id);
  }
  return id;
}

export class PageApi {
  readonly base: string;
  constructor(base: string) {
    this.base = base.replace(/\/$/, "");
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { "x-play-session": sessionId() };
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const value = (await res.json().catch(() => null)) as {
      error?: { code: string; message: string };
    } | null;
    if (!res.ok) {
      const e = value?.error ?? {
        code: `http_${res.status}`,
        message: `the service answered ${res.status}`,
      };
      throw new ApiError(e.code, e.message, e as Record<string, unknown>);
    }
    return value as T;
  }

  start(body: unknown): Promise<Started> {
    return this.call("POST", "/jobs", body);
  }
  view<T>(jobId: string): Promise<T> {
    return this.call("GET", `/jobs/${jobId}`);
  }
  cancel(jobId: string): Promise<unknown> {
    return this.call("POST", `/jobs/${jobId}/cancel`, {});
  }
  ticket(jobId: string): Promise<{ ticket: string; ws_url: string }> {
    return this.call("POST", `/jobs/${jobId}/ticket`, {});
  }
  diagnose(
    jobId: string,
    ticket: string,
  ): Promise<{ ok: boolean; code: string | null; message: string }> {
    return this.call("POST", `/jobs/${jobId}/diagnose`, { ticket });
  }
}

export interface FollowHandlers {
  event(event: JobEvent): void;
  /** The socket could not be opened and the page gave up; `why` is meant for a person. */
  refused(why: string): void;
}

const MAX_REFUSALS = 3;

/** Follows the job; resolves when the terminal status arrived (true) or the page gave up (false). */
export async function follow(api: PageApi, started: Started, on: FollowHandlers): Promise<boolean> {
  let lastSeq = 0;
  let done = false;
  let refusals = 0;
  let ticket = started.ticket;
  let wsUrl = started.ws_url;
  while (!done) {
    const opened = await new Promise<boolean>((resolve) => {
      const url = new URL(wsUrl, location.href);
      url.protocol = url.protocol === "https:" || url.protocol === "wss:" ? "wss:" : "ws:";
      url.searchParams.set("ticket", ticket);
      if (lastSeq > 0) url.searchParams.set("after", String(lastSeq));
      const ws = new WebSocket(url);
      let wasOpen = false;
      ws.onopen = () => {
        wasOpen = true;
      };
      ws.onmessage = (m) => {
        if (typeof m.data !== "string" || m.data === "pong") return;
        const event = JSON.parse(m.data) as JobEvent;
        if (typeof event.seq !== "number" || event.seq <= lastSeq) return;
        lastSeq = event.seq;
        on.event(event);
        if (event.type === "status" && event.data.terminal === true) done = true;
      };
      ws.onclose = () => resolve(wasOpen);
    });
    if (done) return true;
    if (opened) {
      refusals = 0;
    } else {
      refusals += 1;
      // A refused upgrade reaches the browser as a bare close (1006): ask the session API why.
      const verdict = await api.diagnose(started.job_id, ticket).catch(() => null);
      if (verdict && !verdict.ok) {
        on.refused(
          `The live connection was refused: ${verdict.message} (${verdict.code}). Tickets last 60 seconds and open one job for one user.`,
        );
        if (refusals >= MAX_REFUSALS) return false;
      } else if (refusals >= MAX_REFUSALS) {
        on.refused(
          "The live connection could not be opened (the socket closed before it opened, code 1006): the service or a proxy refused the WebSocket upgrade.",
        );
        return false;
      }
    }
    const fresh = await api.ticket(started.job_id);
    ticket = fresh.ticket;
    wsUrl = fresh.ws_url;
  }
  return true;
}
