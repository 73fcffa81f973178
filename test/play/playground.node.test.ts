// The playground page in headless Chromium against the whole stack as `npm start` runs it
// (platform + wrangler dev with its [build] bundling the page's CodeMirror script): type a project
// and run it, break a migration and see the error marker on its line, cancel a slow head, survive
// a bad ticket, keep the project across a reload, export and import it, and read on a phone.
// Screenshots of each state go to test-output/playground/ (not committed) for a person to look at.
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Browser, Page, Route } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type LiveStack, startLiveStack } from "../../bench/live/stack.ts";
import { launchChromium } from "../support/chromium.ts";

const SHOTS = join(import.meta.dirname, "..", "..", "test-output", "playground");

// Jobs on a shared, loaded machine: a cold tail replay alone can take tens of seconds.
vi.setConfig({ testTimeout: 240_000 });

let stack: LiveStack;
let browser: Browser;

beforeAll(async () => {
  await mkdir(SHOTS, { recursive: true });
  [stack, browser] = await Promise.all([startLiveStack(), launchChromium()]);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
}, 60_000);

async function freshPage(viewport = { width: 1400, height: 900 }): Promise<Page> {
  const page = await browser.newPage({ viewport });
  await page.goto(`${stack.url}/play`);
  await page.waitForSelector("body[data-ready=true]");
  return page;
}

/** Adds a file through the tree's form and types its text into the editor. */
async function addFile(page: Page, path: string, text: string): Promise<void> {
  await page.fill("#new-path", path);
  await page.click("#add-form button[type=submit]");
  await page.waitForSelector(`button.file[data-path="${path}"][aria-current=true]`);
  await setText(page, text);
}

async function setText(page: Page, text: string): Promise<void> {
  await page.click(".cm-content");
  await page.keyboard.press("Control+A");
  await page.keyboard.press("Delete");
  // insertText types without key events, so auto-closing brackets do not add characters.
  await page.keyboard.insertText(text);
}

async function runAndWait(page: Page): Promise<string> {
  await page.click("#run");
  await page.waitForSelector("#status[data-final=true]", { timeout: 90_000 });
  return (await page.textContent("#status")) ?? "";
}

async function deleteAllBut(page: Page, keep: string): Promise<void> {
  const paths = await page.$$eval("button.file", (bs) =>
    bs.map((b) => b.getAttribute("data-path") ?? ""),
  );
  for (const path of paths.filter((p) => p !== keep)) {
    await page.click(`button.file[data-path="${path}"]`);
    await page.click("#delete");
    await page.waitForSelector(`button.file[data-path="${path}"]`, { state: "detached" });
  }
}

describe("playground page in Chromium", () => {
  it("runs a typed project and shows its rows; a broken migration is marked at its line", async () => {
    const page = await freshPage();
    const tag = crypto.randomUUID().slice(0, 8);
    await addFile(
      page,
      "test/cheap.sql",
      `SELECT name, price FROM fruit_${tag}\nWHERE price < :max OR price IS NULL\nORDER BY name;\n`,
    );
    await deleteAllBut(page, "test/cheap.sql");
    await addFile(
      page,
      "init/01_schema.sql",
      `CREATE TABLE fruit_${tag} (\n  name text PRIMARY KEY,\n  price numeric(6,2)\n);\n`,
    );
    await addFile(
      page,
      "seed/01_rows.sql",
      `INSERT INTO fruit_${tag} VALUES ('apple', 1.20), ('pear', 0.80), ('plum', NULL);\n`,
    );
    await page.selectOption("#head", "test/cheap.sql");
    await page.fill('#vars input[aria-label="variable 1 name"]', "max");
    await page.fill('#vars input[aria-label="variable 1 value"]', "1");

    expect(await runAndWait(page)).toBe("completed");
    const rows = await page.$$eval("#results tbody tr", (trs) =>
      trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent)),
    );
    expect(rows).toEqual([
      ["pear", "0.80"],
      ["plum", "NULL"],
    ]);
    expect(await page.textContent("#results .row-count")).toContain("(2 rows)");
    expect(await page.$eval("#results td .null", (n) => n.textContent)).toBe("NULL");
    expect(await page.textContent("#summary")).toMatch(
      /Snapshot: cache miss, 0 reused \/ 2 replayed of 2 tail steps/,
    );
    expect(await page.$$eval("#progress .badge.replayed", (b) => b.length)).toBe(2);
    await page.screenshot({ path: join(SHOTS, "1-completed.png"), fullPage: true });

    // Break the schema on line 3, column 9: the error opens that file and marks it there.
    await page.click('button.file[data-path="init/01_schema.sql"]');
    await setText(
      page,
      `CREATE TABLE fruit_${tag} (\n  name text PRIMARY KEY,\n  price numerc(6,2)\n);\n`,
    );
    await page.selectOption("#head", "test/cheap.sql");
    expect(await runAndWait(page)).toBe("failed");
    expect(await page.textContent("#error")).toMatch(/init\/01_schema\.sql:3:9: ERROR: .*numerc/);
    expect(await page.textContent("#open-path")).toBe("init/01_schema.sql");
    expect(await page.getAttribute("#editor", "data-error-line")).toBe("3");
    const marked = await page.$eval(".cm-lintRange-error", (range) => {
      const line = range.closest(".cm-line");
      const lines = [...range.ownerDocument.querySelectorAll(".cm-content .cm-line")];
      return { line: line ? lines.indexOf(line) + 1 : 0, text: range.textContent };
    });
    expect(marked).toEqual({ line: 3, text: "numerc(6,2)" });
    expect(await page.$$eval(".cm-error-line", (ls) => ls.length)).toBe(1);
    await page.screenshot({ path: join(SHOTS, "2-error-marker.png"), fullPage: true });

    // The project is kept in the browser: a reload shows the same files and head.
    await page.reload();
    await page.waitForSelector("body[data-ready=true]");
    expect(
      await page.$$eval("button.file", (bs) => bs.map((b) => b.getAttribute("data-path"))),
    ).toEqual(["init/01_schema.sql", "seed/01_rows.sql", "test/cheap.sql"]);
    expect(await page.inputValue("#head")).toBe("test/cheap.sql");

    // Export, change, import: the exported project comes back.
    const download = page.waitForEvent("download");
    await page.click("#export");
    const file = await (await download).path();
    const exported = JSON.parse(await readFile(file, "utf8")) as { files: Record<string, string> };
    expect(Object.keys(exported.files).sort()).toEqual([
      "init/01_schema.sql",
      "seed/01_rows.sql",
      "test/cheap.sql",
    ]);
    await page.click("#reset");
    await page.waitForSelector('button.file[data-path="test/top_customers.sql"]');
    await page.setInputFiles("#import", file);
    await page.waitForSelector('button.file[data-path="test/cheap.sql"]');
    expect(await page.textContent("#tree-message")).toContain("imported");

    // The same through a zip: the project as a folder, with the head kept.
    const zipDownload = page.waitForEvent("download");
    await page.click("#export-zip");
    const zip = await (await zipDownload).path();
    expect((await readFile(zip)).subarray(0, 4).toString("latin1")).toBe("PK\u0003\u0004");
    await page.click("#reset");
    await page.waitForSelector('button.file[data-path="test/top_customers.sql"]');
    await page.setInputFiles("#import", {
      name: "project.zip",
      mimeType: "application/zip",
      buffer: await readFile(zip),
    });
    await page.waitForSelector('button.file[data-path="test/cheap.sql"]');
    expect(await page.textContent("#tree-message")).toBe("imported project.zip");
    expect(await page.inputValue("#head")).toBe("test/cheap.sql");
    await page.close();
  });

  it("cancels a slow head", async () => {
    const page = await freshPage();
    await addFile(page, "test/slow.sql", "SELECT pg_sleep(60);\n");
    await page.selectOption("#head", "test/slow.sql");
    await page.click("#run");
    await page.waitForSelector("#progress li[data-type=stage]:has-text('head_execution')", {
      timeout: 90_000,
    });
    await page.screenshot({ path: join(SHOTS, "3-running.png"), fullPage: true });
    await page.click("#cancel");
    await page.waitForSelector("#status[data-final=true]", { timeout: 60_000 });
    expect(await page.textContent("#status")).toBe("canceled");
    expect(await page.textContent("#error")).toContain("(canceled)");
    await page.screenshot({ path: join(SHOTS, "4-canceled.png"), fullPage: true });
    await page.close();
  });

  it("says why the live socket was refused when the ticket is bad, then recovers", async () => {
    const page = await freshPage();
    // Fault injection: the session API's answer reaches the page with a forged ticket.
    await page.route("**/play/api/jobs", async (route) => {
      const res = await route.fetch();
      const body = (await res.json()) as { ticket: string };
      await route.fulfill({ response: res, json: { ...body, ticket: `${body.ticket}x` } });
    });
    expect(await runAndWait(page)).toBe("completed");
    expect(await page.textContent("#notice")).toMatch(
      /refused: The ticket's signature does not verify\. \(invalid_ticket\)/,
    );
    expect(await page.$$eval("#results tbody tr", (trs) => trs.length)).toBe(2);
    await page.screenshot({ path: join(SHOTS, "5-bad-ticket.png"), fullPage: true });
    await page.close();
  });

  it("stops opening live sockets after 3 refusals in a row, says why and still shows the result", async () => {
    const page = await freshPage();
    // Fault injection: every ticket the session API hands out (at start and each refresh) is
    // forged, so every live socket is refused.
    const forge = async (route: Route) => {
      const res = await route.fetch();
      const body = (await res.json()) as { ticket: string };
      await route.fulfill({ response: res, json: { ...body, ticket: `${body.ticket}x` } });
    };
    await page.route("**/play/api/jobs", forge);
    await page.route("**/play/api/jobs/*/ticket", forge);
    let sockets = 0;
    page.on("websocket", () => {
      sockets++;
    });
    expect(await runAndWait(page)).toBe("completed");
    expect(sockets).toBe(3);
    expect(await page.textContent("#notice")).toMatch(
      /refused: The ticket's signature does not verify\. \(invalid_ticket\)/,
    );
    expect(await page.$$eval("#results tbody tr", (trs) => trs.length)).toBe(2);
    await page.close();
  });

  it("is readable on a phone", async () => {
    const page = await freshPage({ width: 390, height: 844 });
    expect(await runAndWait(page)).toBe("completed");
    // One column: nothing wider than the screen.
    expect(await page.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(
      390,
    );
    expect(await page.getAttribute("#run", "aria-keyshortcuts")).toBe("Control+Enter");
    await page.screenshot({ path: join(SHOTS, "6-phone.png"), fullPage: true });
    await page.close();
  });
});
