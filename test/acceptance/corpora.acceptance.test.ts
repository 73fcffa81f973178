// Acceptance: real SQL projects written elsewhere (../shared/corpora) load through the script engine
// into a real PostgreSQL instance, through the WebSocket proxy, exactly as a job's tail steps would,
// on each engine SQL_RUNNER_ACCEPTANCE_ENGINES names (default 14 and 18; `all`: 14 to 18).
import { afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { connectPg } from "../../src/clients/pg.ts";
import { runScript } from "../../src/engine/runner.ts";
import { seedFromHash } from "../../src/engine/session.ts";
import type { ScriptEvent } from "../../src/engine/types.ts";
import { DEFAULT_SESSION_SETTINGS } from "../../src/planner/settings.ts";
import { createTestInstance, type TestInstance } from "../support/instance.ts";

const corpora = inject("corpora");
const engines = inject("acceptanceEngines");
const instances: TestInstance[] = [];
// Each test's instance goes when the test ends: the platform caps live instances.
afterEach(async () => {
  await Promise.all(instances.splice(0).map((i) => i.destroy()));
});

let engine = "";
async function instance(): Promise<TestInstance> {
  const inst = await createTestInstance({ engine });
  instances.push(inst);
  return inst;
}

/** Runs one corpus file as a step (the file map holds just that file, as a project would). */
function step(inst: TestInstance, path: string, database?: string, events?: ScriptEvent[]) {
  return runScript({
    files: new Map([[path, corpora[path]!]]),
    entry: path,
    settings: { ...DEFAULT_SESSION_SETTINGS },
    seed: seedFromHash("5eed"),
    connect: (db) => connectPg(inst.connection, db),
    ...(database ? { database } : {}),
    ...(events ? { onEvent: (e: ScriptEvent) => events.push(e) } : {}),
  });
}

async function query(inst: TestInstance, sql: string, database?: string) {
  const res = await runScript({
    files: new Map([["check.sql", sql]]),
    entry: "check.sql",
    settings: { ...DEFAULT_SESSION_SETTINGS },
    seed: 0,
    connect: (db) => connectPg(inst.connection, db),
    ...(database ? { database } : {}),
    collectResults: true,
  });
  return res.sets.at(-1)!.rows;
}

describe.each(engines)("corpora on PostgreSQL %s", (major) => {
  beforeAll(() => {
    engine = major;
  });

  it("runs the engine asked for", async () => {
    const inst = await instance();
    const [[version]] = (await query(inst, "SHOW server_version;")) as [[string]];
    expect(version.split(".")[0]).toBe(major);
  });

  it("loads pagila (schema, then the COPY data file): 1000 films, 16044 rentals, 16049 payments", async () => {
    const inst = await instance();
    const schema = await step(inst, "pagila/pagila-schema.sql");
    expect(schema.stats.statements).toBeGreaterThan(200);
    const data = await step(inst, "pagila/pagila-data.sql");
    expect(data.stats.copy_bytes).toBeGreaterThan(2_000_000);
    expect(
      await query(
        inst,
        "SELECT (SELECT count(*) FROM film), (SELECT count(*) FROM rental), (SELECT count(*) FROM payment);",
      ),
    ).toEqual([["1000", "16044", "16049"]]);
    expect(await query(inst, "SELECT title FROM film WHERE film_id = 1;")).toEqual([
      ["ACADEMY DINOSAUR"],
    ]);
  });

  it("loads pagila's pg_dump --inserts variant to the same counts", async () => {
    const inst = await instance();
    await step(inst, "pagila/pagila-schema.sql");
    const data = await step(inst, "pagila/pagila-data-inserts.sql");
    expect(data.stats.copy_bytes).toBe(0);
    expect(
      await query(
        inst,
        "SELECT (SELECT count(*) FROM film), (SELECT count(*) FROM rental), (SELECT count(*) FROM payment);",
      ),
    ).toEqual([["1000", "16044", "16049"]]);
  });

  it("loads chinook (DROP/CREATE DATABASE, \\c chinook) and its data", async () => {
    const inst = await instance();
    const events: ScriptEvent[] = [];
    const res = await step(inst, "chinook/Chinook_PostgreSql.sql", undefined, events);
    expect(res.database).toBe("chinook");
    expect(events.some((e) => e.kind === "connect" && e.database === "chinook")).toBe(true);
    expect(
      await query(
        inst,
        "SELECT (SELECT count(*) FROM artist), (SELECT count(*) FROM album), (SELECT count(*) FROM track), (SELECT name FROM artist WHERE artist_id = 1);",
        "chinook",
      ),
    ).toEqual([["275", "347", "3503", "AC/DC"]]);
    // Non-ASCII names arrive intact.
    expect(
      await query(
        inst,
        "SELECT count(*) > 0 FROM artist WHERE name ~ '[^\\x01-\\x7F]';",
        "chinook",
      ),
    ).toEqual([["t"]]);
  });

  it("loads northwind: 91 customers, 830 orders, 2155 order lines, 77 products", async () => {
    const inst = await instance();
    const res = await step(inst, "northwind/northwind.sql");
    expect(res.stats.statements).toBe(3425);
    expect(
      await query(
        inst,
        "SELECT (SELECT count(*) FROM customers), (SELECT count(*) FROM orders), (SELECT count(*) FROM order_details), (SELECT count(*) FROM products);",
      ),
    ).toEqual([["91", "830", "2155", "77"]]);
  });
});
