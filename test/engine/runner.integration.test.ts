// The script engine against a real PostgreSQL instance from the local platform, through the real
// WebSocket proxy and `@neondatabase/serverless`.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectPg } from "../../src/clients/pg.ts";
import { ScriptError } from "../../src/engine/errors.ts";
import { type RunScriptOptions, runScript } from "../../src/engine/runner.ts";
import type { ScriptEvent } from "../../src/engine/types.ts";
import { DEFAULT_SESSION_SETTINGS } from "../../src/planner/settings.ts";
import { createTestInstance, type TestInstance } from "../support/instance.ts";

let inst: TestInstance;
beforeAll(async () => {
  inst = await createTestInstance();
});
afterAll(async () => {
  await inst?.destroy();
});

function run(files: Record<string, string>, extra: Partial<RunScriptOptions> = {}) {
  const entry = Object.keys(files)[0]!;
  return runScript({
    files: new Map(Object.entries(files)),
    entry,
    settings: { ...DEFAULT_SESSION_SETTINGS },
    seed: 0.5,
    connect: (db) => connectPg(inst.connection, db),
    collectResults: true,
    ...extra,
  });
}

async function failure(p: Promise<unknown>): Promise<ScriptError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ScriptError);
    return e as ScriptError;
  }
  throw new Error("expected the script to fail");
}

describe("runScript", () => {
  it("runs statements in batches and returns exact text values", async () => {
    const res = await run({
      "main.sql": [
        "CREATE TABLE vals (b bigint, n numeric, t timestamptz, f float8);",
        "INSERT INTO vals VALUES (9223372036854775807, 12345678901234567890.000000000001, '2024-02-29 23:59:59.123456+05', 0.1);",
        "SELECT b, n, t, f, NULL::text AS z FROM vals;",
      ].join("\n"),
    });
    expect(res.stats.batches).toBe(1);
    const sel = res.sets[2]!;
    expect(sel.columns).toEqual([
      { name: "b", type: "int8" },
      { name: "n", type: "numeric" },
      { name: "t", type: "timestamptz" },
      { name: "f", type: "float8" },
      { name: "z", type: "text" },
    ]);
    expect(sel.rows).toEqual([
      [
        "9223372036854775807",
        "12345678901234567890.000000000001",
        "2024-02-29 18:59:59.123456+00",
        "0.1",
        null,
      ],
    ]);
    expect(res.sets.map((s) => s.tag)).toEqual(["CREATE TABLE", "INSERT 0 1", "SELECT 1"]);
  });
});
