// The live page in a real browser: the whole stack as `npm start` runs it (platform + wrangler dev),
// a job created over HTTP with the gateway token, a ticket, and headless Chromium following the job
// on GET /live until the page shows the terminal status; and, with a forged ticket, giving up after
// 5 refused sockets.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gateway, type LiveStack, startLiveStack } from "../../bench/live/stack.ts";
import { launchChromium } from "../support/chromium.ts";

let stack: LiveStack;
let browser: Browser;

beforeAll(async () => {
  stack = await startLiveStack();
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
}, 60_000);

describe("live page in Chromium", () => {
  it("follows a job over its WebSocket and shows the final status", async () => {
    const user = `browser-${crypto.randomUUID()}`;
    const tag = crypto.randomUUID().slice(0, 8);
    const created = await gateway(stack.url, "/v1/jobs", {
      body: {
        request_id: crypto.randomUUID(),
        user_id: user,
        mode: "long",
        project_tree: {
          "init/01_t.sql": `CREATE TABLE t_${tag} (n int);`,
          "seed/01_rows.sql": `INSERT INTO t_${tag} SELECT generate_series(1, 5);`,
          "test/sum.sql": `SELECT sum(n) AS total FROM t_${tag};`,
        },
      },
    });
    expect(created.status).toBe(202);
    const { job_id: jobId } = (await created.json()) as { job_id: string };
    const ticketRes = await gateway(stack.url, `/v1/jobs/${jobId}/ticket`, {
      method: "POST",
      user,
    });
    expect(ticketRes.status).toBe(200);
    const { ticket } = (await ticketRes.json()) as { ticket: string };

    const page = await browser.newPage();
    await page.goto(`${stack.url}/live?job=${jobId}&ticket=${encodeURIComponent(ticket)}`);
    await page.waitForSelector("#status[data-connects]");
    const run = await gateway(stack.url, `/v1/jobs/${jobId}/run`, {
      body: { head_path: "test/sum.sql" },
      user,
    });
    expect(run.status).toBe(202);

    await page.waitForSelector("#status[data-final='true'][data-close-code]", { timeout: 60_000 });
    expect(await page.textContent("#status")).toBe("completed");
    expect(await page.getAttribute("#status", "data-close-code")).toBe("1000");
    const items = await page.$$eval("#events li", (lis) => lis.map((li) => li.textContent ?? ""));
    const logs = (await (
      await gateway(stack.url, `/v1/jobs/${jobId}/logs?limit=1000`, { user })
    ).json()) as { events: { seq: number; type: string }[] };
    expect(items.map((text) => Number(text.split(" ")[0]))).toEqual(logs.events.map((e) => e.seq));
    expect(items.at(-1)).toContain('"terminal":true');
    await page.close();
  });

  it("gives up after 5 refused sockets with a bad ticket and says what it means", async () => {
    const page = await browser.newPage();
    let sockets = 0;
    page.on("websocket", () => {
      sockets++;
    });
    // A job id that exists nowhere and a forged ticket: every upgrade is refused.
    await page.goto(`${stack.url}/live?job=${"0".repeat(32)}&ticket=forged`);
    // A string: evaluated in the page (this file is compiled without the DOM's types).
    await page.waitForFunction(
      "document.getElementById('status')?.textContent?.startsWith('disconnected')",
      undefined,
      { timeout: 30_000 },
    );
    expect(sockets).toBe(5);
    expect(await page.textContent("#status")).toMatch(
      /^disconnected: the live connection was refused before it opened \(code 1006\)\. The usual cause is an invalid or expired ticket/,
    );
    await page.close();
  });
});
