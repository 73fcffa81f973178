import { describe, expect, it } from "vitest";
import { type BatchStep, planSteps } from "../../src/engine/batching.ts";
import { copyDataLocation, locateFailure } from "../../src/engine/error-location.ts";
import { expandScript } from "../../src/engine/expand.ts";

function batchOf(files: Record<string, string>, entry: string, variables?: Record<string, string>) {
  const ex = expandScript({
    files: new Map(Object.entries(files)),
    entry,
    ...(variables ? { variables } : {}),
  });
  const step = planSteps(ex.units)[0] as BatchStep;
  return { ex, step };
}

/** What PostgreSQL would report: the 1-based character position of `needle` in the batch text. */
const positionOf = (step: BatchStep, needle: string) =>
  [...step.text.slice(0, step.text.indexOf(needle))].length + 1;

describe("error locations", () => {
  it("maps a position on line 37 of a file included by \\ir to that file, line and column", () => {
    const lines = Array.from({ length: 36 }, (_, i) => `INSERT INTO t VALUES (${i}); -- é😀`);
    lines.push("SELECT 1 FROM t WHERE a = 1 ANDD b = 2;");
    const { ex, step } = batchOf(
      { "main.sql": "SELECT 0;\n\\ir sub/inc.sql\n", "sub/inc.sql": lines.join("\n") },
      "main.sql",
    );
    expect(step.statements).toHaveLength(38);
    const site = locateFailure(step, 37, positionOf(step, "ANDD"), ex.locate);
    expect(site?.location).toEqual({ file: "sub/inc.sql", line: 37, column: 29 });
    expect(site?.statement.line).toBe(37);
  });

  it("counts columns in characters, as the server does, also past non-BMP characters", () => {
    const { ex, step } = batchOf({ "m.sql": "SELECT '😀é' || x;" }, "m.sql");
    const site = locateFailure(step, 0, positionOf(step, "x;"), ex.locate);
    expect(site?.location).toEqual({ file: "m.sql", line: 1, column: 16 });
  });

  it("maps into interpolated text to the variable reference", () => {
    const { ex, step } = batchOf({ "m.sql": "SELECT 1;\nSELECT * FROM :tab WHERE x;" }, "m.sql", {
      tab: "no_such_table",
    });
    expect(locateFailure(step, 1, positionOf(step, "such"), ex.locate)?.location).toEqual({
      file: "m.sql",
      line: 2,
      column: 15,
    });
    expect(locateFailure(step, 1, positionOf(step, "WHERE"), ex.locate)?.location).toEqual({
      file: "m.sql",
      line: 2,
      column: 20,
    });
  });

  it("without a position names the statement after the completed ones", () => {
    const { ex, step } = batchOf(
      { "m.sql": "SELECT 1;\nSELECT 2;\n  SELECT 1/0;\nSELECT 4;" },
      "m.sql",
    );
    const site = locateFailure(step, 2, undefined, ex.locate);
    expect(site?.statement.text).toBe("SELECT 1/0;");
    expect(site?.location).toEqual({ file: "m.sql", line: 3, column: 3 });
  });

  it("finds the data line of a failing COPY row", () => {
    const { step } = batchOf({ "m.sql": "SELECT 1;\nCOPY t FROM stdin;\na\nb\nc\n\\.\n" }, "m.sql");
    const where = 'COPY t, line 3, column a: "c"';
    expect(copyDataLocation(step.statements[1]!.copy, where)).toEqual({
      file: "m.sql",
      line: 5,
      column: 1,
    });
  });

  it("finds the data line in the second COPY of a `\\;` query", () => {
    const { step } = batchOf(
      { "m.sql": "COPY t FROM stdin\\; COPY u FROM stdin;\na\n\\.\nb\nc\n\\.\n" },
      "m.sql",
    );
    const unit = step.statements[0]!;
    expect(unit.statements).toBe(2);
    expect(unit.moreCopies?.map((b) => b.data)).toEqual(["b\nc\n"]);
    const where = 'COPY u, line 2, column a: "c"';
    expect(copyDataLocation(unit.moreCopies![0], where)).toMatchObject({ line: 5 });
  });
});
