// A finished job's WebSocket ends cleanly through `wrangler dev`, as `npm start` runs it: the
// backlog, close 1000, and then the server ends the TCP connection itself. A hibernatable socket
// closed in the same request left the connection open after the closing handshake, so a client
// (the `ws` package here) waited 30 s for it before giving up and reporting the close.
import type { Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { GATEWAY_TOKEN, gateway, type LiveStack, startLiveStack } from "../../bench/live/stack.ts";

let stack: LiveStack;

beforeAll(async () => {
  stack = await startLiveStack();
}, 180_000);

afterAll(async () => {
  await stack?.close();
}, 60_000);

async function waitFinished(jobId: string, user: string): Promise<string> {
  const res = await gateway(stack.url, `/v1/jobs/${jobId}?wait_ms=30000`, { user });
  expect(res.status).toBe(200);
  return ((await res.json()) as { status: string }).status;
}

/** Follows a job over its WebSocket until the close; whether the server ended the connection. */
async function follow(jobId: string, user: string) {
  const ws = new WebSocket(`${stack.url.replace("http", "ws")}/v1/jobs/${jobId}/ws?after=0`, {
    headers: { authorization: `Bearer ${GATEWAY_TOKEN}`, "x-user-id": user },
    perMessageDeflate: false,
  });
  const kinds: string[] = [];
  let serverEnded = false;
  ws.on("upgrade", (res) => {
    (res.socket as Socket).once("end", () => {
      serverEnded = true;
    });
  });
  ws.on("message", (raw) => kinds.push((JSON.parse(String(raw)) as { type: string }).type));
  const closed = await new Promise<{ code: number; reason: string }>((ok, fail) => {
    ws.once("error", fail);
    ws.once("close", (code, reason) => ok({ code, reason: String(reason) }));
  });
  return { closed, kinds, serverEnded };
}

async function createJob(user: string, head: string): Promise<string> {
  const created = await gateway(stack.url, "/v1/jobs", {
    body: {
      request_id: crypto.randomUUID(),
      user_id: user,
      project_tree: { "init/01.sql": "CREATE TABLE t (n int);", "test/h.sql": head },
      head_path: "test/h.sql",
    },
  });
  expect(created.status).toBe(202);
  return ((await created.json()) as { job_id: string }).job_id;
}

describe("WebSocket of a finished job", () => {
  it("sends the backlog, closes with 1000, and the server ends the connection", async () => {
    const user = `ws-close-${crypto.randomUUID()}`;
    const jobId = await createJob(user, "SELECT 1 AS one;");
    expect(await waitFinished(jobId, user)).toBe("completed");

    const { closed, kinds, serverEnded } = await follow(jobId, user);
    expect(closed).toEqual({ code: 1000, reason: "job finished" });
    expect(kinds).toContain("status");
    // Without it the client closes the connection itself when its close timeout runs out.
    expect(serverEnded).toBe(true);
  }, 90_000);
});
