import { describe, expect, it } from "vitest";
import {
  aloneReason,
  type BatchStep,
  canCarrySetup,
  planSteps,
} from "../../src/engine/batching.ts";
import { expandScript } from "../../src/engine/expand.ts";

const steps = (text: string, limits = {}) =>
  planSteps(expandScript({ files: new Map([["m.sql", text]]), entry: "m.sql" }).units, limits);
const shape = (text: string) =>
  steps(text).map((s) => (s.kind === "connect" ? "\\c" : s.statements.length));
const alone = (text: string) =>
  aloneReason(
    expandScript({ files: new Map([["m.sql", text]]), entry: "m.sql" }).units[0] as never,
  ) !== undefined;

describe("batching", () => {
  it("sends consecutive statements, COPY included, as one batch", () => {
    const s = steps("SET a = 1;\nCOPY t FROM stdin;\n1\n\\.\nINSERT INTO t VALUES (2);\nSELECT 1;");
    expect(s).toHaveLength(1);
    const batch = s[0] as BatchStep;
    expect(batch.text).toBe("SET a = 1;\nCOPY t FROM stdin;\nINSERT INTO t VALUES (2);\nSELECT 1;");
    expect(batch.offsets).toEqual([0, 11, 30, 56]);
  });

  it("keeps explicit BEGIN/COMMIT inside a batch that BEGIN starts", () => {
    expect(shape("BEGIN;\nINSERT INTO t VALUES (1);\nCOMMIT;\nSELECT 1;")).toEqual([4]);
    expect(shape("SELECT 1;\nSTART TRANSACTION;\nSELECT 2;\nROLLBACK;\nBEGIN;\nEND;")).toEqual([
      1, 3, 2,
    ]);
  });

  it.each([
    "CREATE DATABASE x;",
    "DROP DATABASE IF EXISTS x;",
    "VACUUM ANALYZE t;",
    "CREATE UNIQUE INDEX CONCURRENTLY i ON t (a);",
    "DROP INDEX CONCURRENTLY i;",
    "REINDEX TABLE CONCURRENTLY t;",
    "REINDEX DATABASE x;",
    "ALTER SYSTEM SET work_mem = '8MB';",
    "CREATE TABLESPACE ts LOCATION '/x';",
    "DROP TABLESPACE ts;",
    "ALTER TYPE mood ADD VALUE 'meh';",
    "ALTER TABLE p DETACH PARTITION c CONCURRENTLY;",
    "CLUSTER;",
    "CALL p();",
    "DO $$ BEGIN COMMIT; END $$;",
    "COMMIT PREPARED 'x';",
    "DISCARD ALL;",
    "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;",
  ])("sends %s alone", (stmt) => {
    expect(alone(stmt)).toBe(true);
    expect(shape(`SELECT 1;\nSELECT 2;\n${stmt}\nSELECT 3;`)).toEqual([2, 1, 1]);
  });

  it.each([
    "CREATE TABLE t (a int);",
    "CREATE INDEX i ON t (a);",
    "ALTER TYPE mood RENAME VALUE 'a' TO 'b';",
    "DO $$ BEGIN RAISE NOTICE 'x'; END $$;",
    "REFRESH MATERIALIZED VIEW mv;",
    "BEGIN;",
    "SET search_path = x;",
    "CREATE TABLE concurrently_named (a int);",
  ])("batches %s", (stmt) => {
    expect(alone(stmt)).toBe(false);
  });

  it("ends a batch at \\c and at a statement cut at end of file", () => {
    const s = planSteps(
      expandScript({
        files: new Map([
          ["m.sql", "SELECT 1;\n\\ir x.sql\nSELECT 3;\n\\c other\nSELECT 4;\nSELECT 5"],
          ["x.sql", "SELECT 2"],
        ]),
        entry: "m.sql",
      }).units,
    );
    expect(s.map((x) => (x.kind === "connect" ? "\\c" : x.statements.map((u) => u.text)))).toEqual([
      ["SELECT 1;"],
      ["SELECT 2"],
      ["SELECT 3;"],
      "\\c",
      ["SELECT 4;"],
      ["SELECT 5"],
    ]);
  });

  it("keeps \\echo lines in order inside a batch", () => {
    const s = steps("SELECT 1;\n\\echo one\nSELECT 2;") as BatchStep[];
    expect(s).toHaveLength(1);
    expect(s[0]!.items.map((i) => i.kind)).toEqual(["sql", "echo", "sql"]);
  });

  it("splits batches by statement count and size", () => {
    const text = Array.from({ length: 10 }, (_, i) => `SELECT ${i};`).join("\n");
    expect(
      steps(text, { maxStatements: 4 }).map((s) => (s as BatchStep).statements.length),
    ).toEqual([4, 4, 2]);
    expect(steps(text, { maxChars: 20 }).map((s) => (s as BatchStep).statements.length)).toEqual([
      2, 2, 2, 2, 2,
    ]);
  });

  describe("carrying the session setup in front of the first batch", () => {
    const carries = (text: string, settings: Record<string, string> = {}) =>
      canCarrySetup(steps(text)[0], settings);

    it("carries it in front of a batch of two or more plain statements", () => {
      expect(carries("SELECT 1;\nSELECT 2;")).toBe(true);
      expect(carries("CREATE TABLE t (a int);\nINSERT INTO t VALUES (1);\nSELECT * FROM t;")).toBe(
        true,
      );
    });

    it.each([
      ["a single statement (it would join a transaction block)", "LOCK TABLE t;"],
      ["a batch BEGIN starts", "BEGIN;\nSELECT 1;\nCOMMIT;"],
      ["a batch with COMMIT", "INSERT INTO t VALUES (1);\nCOMMIT;"],
      [
        "a batch starting with SET TRANSACTION",
        "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;\nSELECT 1;",
      ],
      ["a batch led by an echo", "\\echo hi\nSELECT 1;\nSELECT 2;"],
      ["a batch with a statement sent alone", "VACUUM t;"],
      ["a \\c first", "\\c other\nSELECT 1;\nSELECT 2;"],
      ["an empty script", ""],
    ])("does not carry it in front of %s", (_why, text) => {
      expect(carries(text)).toBe(false);
    });

    it("does not carry it when a setting is read at a transaction's start", () => {
      expect(
        carries("SELECT 1;\nSELECT 2;", { default_transaction_isolation: "serializable" }),
      ).toBe(false);
      expect(carries("SELECT 1;\nSELECT 2;", { TimeZone: "UTC" })).toBe(true);
    });
  });
});
