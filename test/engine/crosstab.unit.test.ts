// psql's \crosstabview pivot (src/engine/psql/crosstab.ts) on results written out by hand; the
// expected tables are psql's own, from PostgreSQL's regression suite (psql_crosstab.out).
import { describe, expect, it } from "vitest";
import { crosstab } from "../../src/engine/psql/crosstab.ts";
import { defaultPrintSettings } from "../../src/engine/psql/print-settings.ts";
import { type PrintableResult, printResult } from "../../src/engine/psql/print-table.ts";

const TEXT = 25;
const INT = 23;
const result = (cols: [string, number][], rows: (string | null)[][]): PrintableResult => ({
  columns: cols.map(([name, typeOid]) => ({ name, typeOid })),
  rows,
});
const pivot = (r: PrintableResult, args: string[], nullPrint = "") => {
  const p = crosstab(r, args, nullPrint);
  if (typeof p === "string") return p;
  return printResult(p, { ...defaultPrintSettings(), null: nullPrint });
};

describe("crosstab", () => {
  it("pivots three columns in order of first appearance (psql_crosstab.out 27-33)", () => {
    const r = result(
      [
        ["v", TEXT],
        ["extract", 1700],
        ["count", 20],
      ],
      [
        ["v0", "2014", "2"],
        ["v0", "2015", "1"],
        ["v1", "2015", "3"],
        ["v2", "2015", "1"],
      ],
    );
    expect(pivot(r, [])).toBe(` v  | 2014 | 2015 
----+------+------
 v0 |    2 |    1
 v1 |      |    3
 v2 |      |    1
(3 rows)

`);
  });

  it("orders the horizontal header by the sort column's ranks (psql_crosstab.out 37-43)", () => {
    const r = result(
      [
        ["v", TEXT],
        ["month name", TEXT],
        ["num", 1700],
        ["count", 20],
      ],
      [
        ["v0", "Jul", "7", "2"],
        ["v0", "Dec", "12", "1"],
        ["v1", "Apr", "4", "2"],
        ["v1", "Jul", "7", "1"],
        ["v2", "Jan", "1", "1"],
      ],
    );
    expect(pivot(r, ["v", '"month name"', "4", "num"])).toBe(` v  | Jan | Apr | Jul | Dec 
----+-----+-----+-----+-----
 v0 |     |     |   2 |   1
 v1 |     |   2 |   1 |    
 v2 |   1 |     |     |    
(3 rows)

`);
  });

  it("shows NULL headers and values as the null display (psql 15's output for the same rows)", () => {
    const r = result(
      [
        ["v", TEXT],
        ["h", TEXT],
        ["i", INT],
      ],
      [
        ["v0", null, "5"],
        ["v1", "h0", null],
      ],
    );
    expect(pivot(r, [], "#null#")).toBe(` v  | #null# |   h0   
----+--------+--------
 v0 |      5 |       
 v1 |        | #null#
(2 rows)

`);
  });

  it("reports psql's errors", () => {
    const four = result(
      [
        ["v", TEXT],
        ["h", TEXT],
        ["i", INT],
        ["c", TEXT],
      ],
      [["a", "b", "1", "x"]],
    );
    const foo = result(
      [
        ["22", INT],
        ["b", INT],
        ["Foo", INT],
      ],
      [["1", "2", "3"]],
    );
    expect(pivot(four, ["v", "h", "j"])).toBe('column name not found: "j"');
    expect(pivot(foo, ["1", "2", "Foo"])).toBe('column name not found: "foo"');
    expect(pivot(foo, ["1", '"B"', '"Foo"'])).toBe('column name not found: "B"');
    expect(pivot(foo, ['"22"', "B", '"Foo"'])).toContain(" 22 | 2 ");
    expect(pivot(four, ["2", "1", "5"])).toBe("column number 5 is out of range 1..4");
    expect(pivot(four, ["2", "h", "4"])).toBe(
      "vertical and horizontal headers must be different columns",
    );
    expect(pivot(four, [])).toBe(
      "data column must be specified when query returns more than three columns",
    );
    expect(pivot(result([["?column?", INT]], [["1"]]), [])).toBe(
      "query must return at least three columns",
    );
    const wide = Array.from({ length: 1601 }, (_, i) => [`${i}`, `${i}`, "1"]);
    expect(
      pivot(
        result(
          [
            ["a", INT],
            ["a", INT],
            ["?column?", INT],
          ],
          wide,
        ),
        [],
      ),
    ).toBe("maximum number of columns (1600) exceeded");
    const dup = result(
      [
        ["x", INT],
        ["y", INT],
        ["v", TEXT],
      ],
      [
        ["1", "10", "*10"],
        ["1", "10", "*"],
      ],
    );
    expect(pivot(dup, [])).toBe(
      'query result contains multiple data values for row "1", column "10"',
    );
  });
});
