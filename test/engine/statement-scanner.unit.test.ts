// The interpreter's look-ahead: how many plain statements after an offset may be sent ahead
// without waiting for the one before (see pipeline.ts).
import { describe, expect, it } from "vitest";
import { StatementScanner } from "../../src/engine/psql/pipeline.ts";

const scan = (text: string, max = 64) => new StatementScanner(() => text).plainAfter("f", 0, max);

describe("StatementScanner.plainAfter", () => {
  it("counts plain statements up to the limit", () => {
    expect(scan("select 1; select 2;\nselect 3;")).toBe(3);
    expect(scan("select 1; select 2; select 3;", 2)).toBe(2);
  });

  it("stops at a COPY, a meta-command, a variable and an empty statement", () => {
    expect(scan("select 1; copy t from stdin;\n1\n\\.\nselect 2;")).toBe(1);
    expect(scan("select 1; \\echo x\nselect 2;")).toBe(1);
    expect(scan("select 1; select :v;")).toBe(1);
    expect(scan("select 1; ; select 2;")).toBe(1);
  });

  it("stops at a COPY that follows \\; inside a query (its data is the script's)", () => {
    expect(scan("select 1; select 0\\; copy t from stdin;\n1\n\\.\n")).toBe(1);
    expect(scan("select 1; select 0\\; select 2;")).toBe(2);
  });
});
