// The psql text a head collects (src/engine/psql/output.ts): capped, and not kept at all when
// nobody reads it (a head without `output: ["psql"]` that raised 60,000 NOTICEs held 8 MB of
// their lines until it ended).
import { describe, expect, it } from "vitest";
import { PsqlOutput } from "../../src/engine/psql/output.ts";

const files = new Map([["h.sql", "select 1;\nselect 2;\n"]]);
const text = (p: string) => files.get(p);

describe("PsqlOutput", () => {
  it("keeps text up to its cap, then says it was cut", () => {
    const out = new PsqlOutput(10, text);
    out.write("12345");
    out.write("67890abc");
    expect(out.text()).toBe("1234567890");
    expect(out.truncated).toBe(true);
    expect(out.keeps).toBe(false);
  });

  it("keeps nothing with a cap of 0, and does not call that a cut", () => {
    const out = new PsqlOutput(0, text);
    expect(out.keeps).toBe(false);
    expect(new PsqlOutput(1, text).keeps).toBe(true);
    for (let i = 0; i < 1000; i++) out.write(`NOTICE:  notice ${i}\n`);
    out.echoTo("h.sql", 20);
    expect(out.text()).toBe("");
    expect(out.truncated).toBe(false);
  });
});
