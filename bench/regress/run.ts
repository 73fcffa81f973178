// `npm run bench:regress`: PostgreSQL's regression suite (../shared/corpora/pg-regress, never copied
// into the project) as a conformance test of the head interpreter. Counts the files the engine
// accepts (no refusal before SQL runs) and, running each file as a head in continue + psql +
// echo "all" mode on a fresh copy of a database that test_setup.sql built as the tail (its data
// files as project files; for the schedule's groups after create_index, test_setup.sql and
// create_index.sql), how many print exactly expected/NAME.out or one of its alternatives
// (NAME_1.out, ...). pg_regress's settings: PGTZ=America/Los_Angeles, PGDATESTYLE="Postgres, MDY",
// PGOPTIONS="-c intervalstyle=postgres_verbose", lc_messages=C, the database named "regression".
// pg_regress's psql gets those at connection start, so RESET goes back to them: here they are also
// the database's defaults (ALTER DATABASE ... SET), as pg_regress's own ALTER DATABASE does for
// lc_monetary, bytea_output and the rest. Prints counts and the first differing line of
// each mismatch grouped by a guessed cause; BENCH_REGRESS_ONLY=a,b limits the files. A file whose
// output has a superuser/privilege error its expected output lacks is counted apart (the platform
// role is not a superuser, pg_regress's is), so the identical count is also given without them.
// BENCH_REGRESS_DUMP=DIR writes NAME.diff (unified, against the closest expected file) for each
// file that differs, for looking at the causes. BENCH_REGRESS_SUPERUSER=1 runs as pg_regress does,
// as a superuser: the bench's own instance makes the platform's role one (ALTER ROLE over the
// instance's admin socket, which only env-manager's process can reach), so the count measures the
// interpreter without the platform's privilege model; a job never gets this.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startPlatform } from "../../infra/local-dev/platform.ts";
import { withAdmin } from "../../infra/local-dev/postgres/admin.ts";
import { USER_ROLE } from "../../infra/local-dev/postgres/settings.ts";
import { createEnvManagerClient } from "../../src/clients/env-manager.ts";
import { connectPg } from "../../src/clients/pg.ts";
import { verdict } from "../../src/engine/psql/expected-output.ts";
import { runPsqlScript } from "../../src/engine/psql/interpreter.ts";
import { refusedCommand } from "../../src/engine/psql/refused.ts";
import { runScript } from "../../src/engine/runner.ts";
import { DEFAULT_SESSION_SETTINGS } from "../../src/planner/settings.ts";
import { classify, stoppedBySuperuser } from "./causes.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const CORPUS = resolve(
  process.env.SQL_RUNNER_CORPORA ?? resolve(ROOT, "../shared/corpora"),
  "pg-regress",
);
if (!existsSync(CORPUS)) throw new Error(`corpus not found at ${CORPUS}`);
const only = process.env.BENCH_REGRESS_ONLY?.split(",");
const asSuperuser = process.env.BENCH_REGRESS_SUPERUSER === "1";

// The project: sql/, data/ and expected/ as pg_regress lays them out (read, never copied).
const files = new Map<string, string>();
for (const dir of ["sql", "data"]) {
  for (const f of readdirSync(join(CORPUS, dir)))
    files.set(`${dir}/${f}`, readFileSync(join(CORPUS, dir, f), "utf8"));
}
const tests = readdirSync(join(CORPUS, "sql"))
  .filter((f) => f.endsWith(".sql"))
  .map((f) => f.slice(0, -4))
  .filter((t) => !only || only.includes(t))
  .sort();
const expectedOf = (t: string): string[] =>
  readdirSync(join(CORPUS, "expected"))
    .filter(
      (f) => f === `${t}.out` || new RegExp(`^${t.replace(/\./g, "\\.")}_\\d+\\.out$`).test(f),
    )
    .map((f) => readFileSync(join(CORPUS, "expected", f), "utf8"));

// parallel_schedule: "most test scripts can be run after running just test_setup and possibly
// create_index". A file of a group after create_index's runs on the tail test_setup + create_index
// (what pg_regress had run before it); the others, and create_index itself, on test_setup alone.
const schedule = readFileSync(join(CORPUS, "parallel_schedule"), "utf8")
  .split("\n")
  .filter((l) => l.startsWith("test:"))
  .map((l) => l.slice(5).trim().split(/\s+/));
const groupOf = (t: string) => schedule.findIndex((g) => g.includes(t));
const indexGroup = groupOf("create_index");
const afterCreateIndex = (t: string) => groupOf(t) > indexGroup || groupOf(t) < 0;

const settings = {
  ...DEFAULT_SESSION_SETTINGS,
  TimeZone: "America/Los_Angeles",
  DateStyle: "Postgres, MDY",
  IntervalStyle: "postgres_verbose",
  bytea_output: "hex",
  timezone_abbreviations: "Default",
  // pg_regress's server runs PostgreSQL's defaults; env-manager's differ for these two (8MB, 0),
  // and the planner's choices (hence EXPLAIN output) follow them.
  work_mem: "4MB",
  max_parallel_workers_per_gather: "2",
};
// What a session of the database starts with (and RESET returns to); lc_messages is the server's
// already (C) and only a superuser may set it.
const databaseDefaults = (db: string) =>
  Object.entries(settings)
    .filter(([k]) => k !== "lc_messages")
    .map(([k, v]) => `ALTER DATABASE ${db} SET ${k} = '${v}';`)
    .join(" ");
// What pg_regress puts in the environment of psql (the scripts read it with \getenv).
const env = {
  PG_ABS_SRCDIR: "/project",
  PG_ABS_BUILDDIR: "/project",
  PG_LIBDIR: "/usr/lib/postgresql/lib",
  PG_DLSUFFIX: ".so",
};
const dumpDir = process.env.BENCH_REGRESS_DUMP;
if (dumpDir) await mkdir(dumpDir, { recursive: true });

const dataDir = await mkdtemp(join(tmpdir(), "bench-regress-"));
const token = "bench-regress";
const platform = await startPlatform({ dataDir, token, gcIntervalMs: 0 });
try {
  const em = createEnvManagerClient({ baseUrl: platform.envManager.url, token });
  const health = await em.health();
  const created = await em.create({ from: { base: { engine: health.engine } }, ttl_ms: 3_600_000 });
  const conn = created.connection;
  if (asSuperuser) {
    const { instance } = platform.envManager.manager.get(created.instance_id);
    await withAdmin(instance.socketDir, instance.adminPassword, (c) =>
      c.query(`ALTER ROLE "${USER_ROLE}" SUPERUSER`),
    );
  }
  const admin = (sql: string) =>
    runScript({
      files: new Map([["a.sql", sql]]),
      entry: "a.sql",
      settings,
      seed: 0,
      connect: (db) => connectPg(conn, db ?? conn.database),
    });
  await admin(
    `CREATE DATABASE regress_tail TEMPLATE template0; ${databaseDefaults("regress_tail")}`,
  );
  // The tail: test_setup.sql. The platform's role is not a superuser, so its tablespace statements
  // fail; a tail step would stop there, so the setup runs in continue mode and its errors are listed.
  const t0 = Date.now();
  const tail = await runPsqlScript({
    files,
    entry: "sql/test_setup.sql",
    env,
    settings,
    seed: 0,
    connect: (db) => connectPg(conn, db ?? "regress_tail"),
    onError: "continue",
  });
  // The second tail: a copy of the first with create_index.sql run on it.
  await admin(
    `CREATE DATABASE regress_tail_ci TEMPLATE regress_tail; ${databaseDefaults("regress_tail_ci")}`,
  );
  const tailIndex = await runPsqlScript({
    files,
    entry: "sql/create_index.sql",
    env,
    settings,
    seed: 0,
    connect: (db) => connectPg(conn, db ?? "regress_tail_ci"),
    onError: "continue",
  });
  const tailMs = Date.now() - t0;

  let accepted = 0;
  let identical = 0;
  let superuser = 0;
  const causes = new Map<string, string[]>();
  const t1 = Date.now();
  for (const t of tests) {
    const refused = refusedCommand(files, `sql/${t}.sql`);
    if (refused) {
      const list = causes.get("refused before running") ?? [];
      list.push(`${t} (${refused.message})`);
      causes.set("refused before running", list);
      continue;
    }
    accepted++;
    if (t === "test_setup") {
      identical++;
      continue;
    }
    if (process.env.BENCH_VERBOSE) console.error(`${new Date().toISOString()} ${t}`);
    let output = "";
    try {
      await admin(
        `DROP DATABASE IF EXISTS regression WITH (FORCE); CREATE DATABASE regression TEMPLATE ${afterCreateIndex(t) ? "regress_tail_ci" : "regress_tail"}; ${databaseDefaults("regression")}`,
      );
      const res = await runPsqlScript({
        files,
        entry: `sql/${t}.sql`,
        env,
        settings,
        seed: 0,
        connect: (db) => connectPg(conn, db ?? "regression"),
        onError: "continue",
        // pg_regress runs psql with -v HIDE_TABLEAM=on -v HIDE_TOAST_COMPRESSION=on.
        variables: { HIDE_TABLEAM: "on", HIDE_TOAST_COMPRESSION: "on" },
        psqlOutput: true,
        echo: "all",
        limits: { maxRows: 1_000_000, maxBytes: 64 << 20 },
        maxOutputBytes: 64 << 20,
      });
      output = res.output ?? "";
    } catch (e) {
      output = `engine failure: ${e instanceof Error ? e.message : String(e)}`;
    }
    const expected = expectedOf(t);
    if (expected.includes(output)) {
      identical++;
      continue;
    }
    if (dumpDir) {
      const v = verdict(
        output,
        expected.map((text, i) => ({ path: `expected/${t}${i ? `_${i}` : ""}.out`, text })),
      );
      await writeFile(join(dumpDir, `${t}.diff`), v?.diff ?? output);
    }
    const su = stoppedBySuperuser(expected[0] ?? "", output);
    if (su) superuser++;
    const cause = su
      ? { cause: "stopped by needing a superuser", sample: su }
      : classify(expected[0] ?? "", output);
    const list = causes.get(cause.cause) ?? [];
    list.push(`${t}: ${cause.sample}`);
    causes.set(cause.cause, list);
  }
  const runMs = Date.now() - t1;
  const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  console.log(
    `pg-regress (${tests.length} files, server ${health.engine}, as ${asSuperuser ? "a superuser, as pg_regress runs" : "the platform's role, not a superuser"}), load ${load}`,
  );
  console.log(
    `tails test_setup.sql (+ create_index.sql for the groups after it): ${tailMs} ms, ${tail.errors.length} + ${tailIndex.errors.length} errors; heads: ${runMs} ms`,
  );
  // create_index.sql's own errors are many (superuser, REINDEX CONCURRENTLY in its own file...);
  // its identical-output count says how it fared.
  for (const e of tail.errors) console.log(`    tail error: ${e.message}`);
  console.log(`accepted (not refused before running): ${accepted} / ${tests.length}`);
  console.log(
    `output identical to expected/*.out (or an alternative): ${identical} / ${tests.length}`,
  );
  console.log(
    `stopped by needing a superuser: ${superuser}; identical excluding them: ${identical} / ${tests.length - superuser}`,
  );
  for (const [cause, list] of [...causes].sort((a, b) => b[1].length - a[1].length)) {
    console.log(`\n${list.length}  ${cause}`);
    for (const l of list) console.log(`    ${l}`);
  }
} finally {
  await platform.close();
}
