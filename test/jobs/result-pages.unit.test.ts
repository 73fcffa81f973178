// The result's paging pieces without a platform: the page cursor (takePage, nextAfter), the one
// UTF-8 measure of result sizes, the job's shared budget, chunking that never splits a pair, and
// the rows written to and read back from a real JobObject's SQLite.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ResultBudget } from "../../src/engine/result-budget.ts";
import { rowBytes, utf8Length } from "../../src/engine/utf8.ts";
import { chunksOf } from "../../src/jobs/job-store.ts";
import { nextAfter, pageHref, ResultWriter, takePage } from "../../src/jobs/result-pages.ts";
import type { JobObject } from "../../src/objects/job-object.ts";

type Row = (string | null)[];
const rows = (n: number, width = 1): Row[] =>
  Array.from({ length: n }, (_, i) => [String(i).padStart(width, "0")]);

describe("utf8Length", () => {
  it("counts what TextEncoder writes, pairs and lone surrogates included", () => {
    for (const s of ["", "abc", "é", "€", "😀", "a\ud800b", "\udc00", "x😀é€\ud83d"]) {
      expect(utf8Length(s), JSON.stringify(s)).toBe(new TextEncoder().encode(s).length);
    }
    expect(rowBytes(["é", null, "ab"])).toBe(4);
  });
});

describe("ResultBudget", () => {
  it("takes until the next would pass the cap, then refuses everything after", () => {
    const b = new ResultBudget(10);
    expect(b.take(6)).toBe(true);
    expect(b.take(5)).toBe(false);
    expect(b.exhausted).toBe(true);
    // A smaller one after the refusal is refused too: the stored result stays a prefix.
    expect(b.take(1)).toBe(false);
    expect(b.used).toBe(6);
  });
});

describe("takePage / nextAfter (the paging cursor)", () => {
  it("stops at the row limit", () => {
    const page = takePage(rows(10), 3, 1000);
    expect(page).toEqual([["0"], ["1"], ["2"]]);
    expect(nextAfter(0, page.length, 10)).toBe(3);
  });

  it("stops before the row that would pass the byte cap, counted in UTF-8", () => {
    // "é" is 2 bytes (1 UTF-16 unit): 5 rows of "éé" are 20 bytes.
    const r: Row[] = Array.from({ length: 5 }, () => ["éé"]);
    expect(takePage(r, 100, 12)).toHaveLength(3);
    expect(takePage(r, 100, 11)).toHaveLength(2);
  });

  it("always carries one row, even one over the byte cap (the cursor always moves)", () => {
    expect(takePage([["x".repeat(50)], ["y"]], 10, 8)).toEqual([["x".repeat(50)]]);
    expect(takePage([], 10, 8)).toEqual([]);
  });

  it("null at the end of the stored rows; a cursor past the end also ends", () => {
    expect(nextAfter(7, 3, 10)).toBeNull();
    expect(nextAfter(7, 2, 10)).toBe(9);
    expect(nextAfter(12, 0, 10)).toBeNull();
  });

  it("reading page after page visits every row once, in order", () => {
    const all = rows(1003, 4);
    const seen: Row[] = [];
    let after: number | null = 0;
    let pages = 0;
    while (after !== null) {
      const page = takePage(all.slice(after), 100, 250);
      seen.push(...page);
      after = nextAfter(after, page.length, all.length);
      pages++;
    }
    expect(seen).toEqual(all);
    // 4 bytes a row, 250 a page: 62 rows a page.
    expect(pages).toBe(Math.ceil(1003 / 62));
  });
});

describe("chunksOf", () => {
  it("never cuts a surrogate pair, and joins back to the text", () => {
    const text = `a${"😀".repeat(10)}`;
    const parts = chunksOf(text, 4);
    expect(parts.join("")).toBe(text);
    for (const p of parts) {
      const last = p.charCodeAt(p.length - 1);
      expect(last >= 0xd800 && last <= 0xdbff, JSON.stringify(p)).toBe(false);
    }
    expect(chunksOf("")).toEqual([""]);
  });
});

describe("ResultWriter with a JobObject's storage", () => {
  it("stores every row, keeps the first within the view budget, and reads pages back", async () => {
    const stub: DurableObjectStub<JobObject> = env.JOBS.get(env.JOBS.newUniqueId());
    await runInDurableObject(stub, (obj) => {
      const writer = new ResultWriter(obj.store, "j1", { viewBytes: 10, viewRows: 100 });
      // 6 rows of 3 bytes: the first 3 fit the view's 10 bytes.
      const first = writer.keep(rows(6, 3));
      expect(first).toEqual({
        set_id: 0,
        stored_rows: 6,
        rows: rows(3, 3),
        next: pageHref("j1", 0, 3),
      });
      // The budget is the view's, for all sets together: the next set gets what is left (1 byte).
      const second = writer.keep([["é"], ["z"]]);
      expect(second).toMatchObject({
        set_id: 1,
        stored_rows: 2,
        rows: [],
        next: pageHref("j1", 1, 0),
      });
      // A row over one storage chunk (256 Ki characters) comes back whole.
      const big = "😀".repeat(200_000);
      writer.keep([[big, null]]);
      expect([...obj.store.resultRows(2, 0, 10)]).toEqual([[big, null]]);
      expect([...obj.store.resultRows(0, 4, 10)]).toEqual(rows(6, 3).slice(4));
      expect([...obj.store.resultRows(1, 0, 1)]).toEqual([["é"]]);
      obj.store.clearResult();
      expect([...obj.store.resultRows(0, 0, 10)]).toEqual([]);
    });
  });
});
