// Heads pipelined over the neon driver's WebSocket (src/engine/psql/pipeline.ts), against a real
// PostgreSQL behind the platform's real proxy, through a relay that reads the protocol: under
// "continue" the same script gives the same output, result sets, errors and order with and without
// pipelining, in fewer round trips; at most 64 queries are in flight; under "stop" nothing is sent
// ahead, so a statement after the error never runs.
import { neonConfig } from "@neondatabase/serverless";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import ws from "ws";
import { startTestEnv, type TestEnv } from "../../infra/local-dev/env-manager/test-harness.ts";
import type { PgConnection } from "../../src/clients/contracts/pg-connection.ts";
import { connectPg } from "../../src/clients/pg.ts";
import { type PsqlRunOptions, runPsqlScript } from "../../src/engine/psql/interpreter.ts";
import { DEFAULT_SESSION_SETTINGS } from "../../src/planner/settings.ts";
import { startWsRelay, type WsRelay } from "../support/ws-relay.ts";

let env: TestEnv;
let relay: WsRelay;
let conn: PgConnection;
let dbs = 0;

beforeAll(async () => {
  neonConfig.webSocketConstructor = ws;
  env = await startTestEnv();
  const engine = env.handle.manager.binaries.engine;
  const created = await env.call("POST", "/v1/instances", { from: { base: { engine } } });
  expect(created.status).toBe(201);
  conn = created.json.connection;
  relay = await startWsRelay(conn.ws_proxy);
});
afterAll(async () => {
  await relay?.close();
  await env?.close();
});

/** A fresh database, made without the relay. */
async function freshDb(): Promise<string> {
  const db = `pipe_${++dbs}`;
  const c = await connectPg(conn);
  await c.query(`CREATE DATABASE ${db}`);
  await c.end();
  return db;
}

/** Runs `script` in a fresh database through the relay; returns the result and the relay's counts. */
async function run(script: string, extra: Partial<PsqlRunOptions>) {
  const db = await freshDb();
  const viaRelay = { ...conn, ws_proxy: relay.address };
  relay.reset();
  const res = await runPsqlScript({
    files: new Map([["h.sql", script]]),
    entry: "h.sql",
    settings: { ...DEFAULT_SESSION_SETTINGS },
    seed: 0.5,
    connect: (d) => connectPg(viaRelay, d ?? db),
    psqlOutput: true,
    inputName: "h.sql",
    ...extra,
  });
  return { res, counts: { ...relay.counts }, db };
}

const SCRIPT = `create table t (id int primary key, name text);
insert into t values (1, 'one'), (2, 'two');
select * from t order by id;
insert into t values (1, 'dup');
do $$ begin raise notice 'after the error'; end $$;
select count(*) as n from t;
select nosuch from t;
select 1/0 as boom;
insert into t values (3, 'three');
select * from t order by id;
\\echo rows :ROW_COUNT error :ERROR
select count(*) as n from t \\gset
select id, :n as n from t where id > :n - 2 order by id;
select 'a' as x;
select 'b' as x;
`;

/** The rows of table s in `db` after a run, read without the relay. */
async function idsOfS(db: string) {
  const c = await connectPg(conn, db);
  const rows = await c.query("SELECT id FROM s ORDER BY id");
  await c.end();
  return rows.rows;
}

/** What a run gives apart from its round trips. */
function outcome(res: Awaited<ReturnType<typeof runPsqlScript>>) {
  const { round_trips: _rt, elapsed_ms: _ms, ...stats } = res.stats;
  return { output: res.output, sets: res.sets, errors: res.errors, stats };
}

describe("pipelined heads", () => {
  it("continue: same output, sets, errors and order as one at a time, in fewer round trips", async () => {
    const one = await run(SCRIPT, { onError: "continue", pipeline: false });
    const piped = await run(SCRIPT, { onError: "continue" });
    expect(outcome(piped.res)).toEqual(outcome(one.res));
    // The three errors, in script order, with their sets before them.
    expect(piped.res.errors.map((e) => [e.line, e.sqlstate, e.set_index])).toEqual([
      [4, "23505", 3],
      [7, "42703", 5],
      [8, "22012", 5],
    ]);
    expect(piped.res.output).toContain("psql:h.sql:5: NOTICE:  after the error\n n \n");
    expect(piped.res.output).toContain("rows 3 error false");
    expect(one.counts.maxInFlight).toBe(1);
    // Setup and the first ten statements (up to \\echo) go out together.
    expect(piped.counts.maxInFlight).toBe(11);
    expect(piped.counts.queries).toBe(one.counts.queries);
    // One at a time: a turn for the setup and each of the 14 statements. Pipelined: the setup and
    // the 10 before \echo; the \gset query; the one reading :n with the 2 plain ones after it.
    expect(one.counts.turns).toBe(15);
    expect(piped.counts.turns).toBe(3);
  });

  it("keeps at most 64 queries in flight, and every result in order", async () => {
    const script = Array.from({ length: 150 }, (_, i) => `select ${i} as i;`).join("\n");
    const piped = await run(script, { onError: "continue" });
    expect(piped.res.errors).toEqual([]);
    expect(piped.res.sets.map((s) => s.rows[0]?.[0])).toEqual(
      Array.from({ length: 150 }, (_, i) => String(i)),
    );
    expect(piped.counts.maxInFlight).toBe(64);
    // The setup and 150 statements in turns of 64, 64 and 23.
    expect(piped.counts.queries).toBe(151);
    expect(piped.counts.turns).toBe(3);
    const one = await run(script, { onError: "continue", pipeline: false });
    expect(outcome(piped.res)).toEqual(outcome(one.res));
    expect(one.counts.turns).toBe(151);
  });

  it("hands a statement's notices over while it runs, not once it ends", async () => {
    // The second statement raises a NOTICE, then waits for an advisory lock this test holds; the
    // test lets go when the NOTICE reaches the script. Kept until the statement ended (as they
    // were: 60,000 of them held at once), it would wait for the 20 s fallback instead.
    const db = await freshDb();
    const holder = await connectPg(conn, db);
    await holder.query("SELECT pg_advisory_lock(42)");
    let released: "by the notice" | "by the fallback" | null = null;
    const release = async (how: "by the notice" | "by the fallback") => {
      if (released) return;
      released = how;
      await holder.query("SELECT pg_advisory_unlock(42)");
    };
    const fallback = setTimeout(() => void release("by the fallback"), 20_000);
    const viaRelay = { ...conn, ws_proxy: relay.address };
    relay.reset();
    const res = await runPsqlScript({
      files: new Map([
        [
          "h.sql",
          "select 1 as one;\ndo $$ begin raise notice 'waiting'; perform pg_advisory_lock(42); end $$;\nselect 2 as two;\n",
        ],
      ]),
      entry: "h.sql",
      settings: { ...DEFAULT_SESSION_SETTINGS },
      seed: 0.5,
      connect: (d) => connectPg(viaRelay, d ?? db),
      psqlOutput: true,
      inputName: "h.sql",
      onError: "continue",
      onEvent: (e) => {
        if (e.kind === "notice" && e.message === "waiting") void release("by the notice");
      },
    });
    clearTimeout(fallback);
    await holder.end();
    expect(released).toBe("by the notice");
    // All three went out together: the notice came from a statement sent ahead.
    expect(relay.counts.maxInFlight).toBe(4);
    expect(res.errors).toEqual([]);
    expect(res.output).toBe(
      " one \n-----\n   1\n(1 row)\n\npsql:h.sql:2: NOTICE:  waiting\n two \n-----\n   2\n(1 row)\n\n",
    );
  });

  it("stop: sends nothing ahead, and the statement after the error never runs", async () => {
    const script = `create table s (id int);
insert into s values (1);
select 1/0;
insert into s values (2);
select 'never' as x;
`;
    const piped = await run(script, { onError: "stop" });
    expect(piped.res.stopped_by?.sqlstate).toBe("22012");
    expect(piped.counts.maxInFlight).toBe(1);
    expect(piped.counts.turns).toBe(4);
    expect(await idsOfS(piped.db)).toEqual([{ id: 1 }]);
  });

  it("continue switched to stop by \\set ON_ERROR_STOP: nothing after it is sent ahead", async () => {
    const script = `create table s (id int);
\\set ON_ERROR_STOP on
insert into s values (1);
select 1/0;
insert into s values (2);
select 'never' as x;
`;
    const piped = await run(script, { onError: "continue" });
    expect(piped.res.stopped_by?.sqlstate).toBe("22012");
    // Only the setup and the statement before \\set went out together.
    expect(piped.counts.maxInFlight).toBe(2);
    expect(await idsOfS(piped.db)).toEqual([{ id: 1 }]);
  });
});
