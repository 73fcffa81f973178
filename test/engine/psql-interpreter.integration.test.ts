// The head interpreter (src/engine/psql) against a real PostgreSQL instance from the local platform,
// through the WebSocket proxy and `@neondatabase/serverless`. Expected psql texts were produced by
// psql 15 (`psql -X -q -f t.sql`) running the same scripts against the same server.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectPg } from "../../src/clients/pg.ts";
import { ScriptError } from "../../src/engine/errors.ts";
import { type PsqlRunOptions, runPsqlScript } from "../../src/engine/psql/interpreter.ts";
import { DEFAULT_SESSION_SETTINGS } from "../../src/planner/settings.ts";
import { createTestInstance, type TestInstance } from "../support/instance.ts";

let inst: TestInstance;
let dbCounter = 0;
beforeAll(async () => {
  inst = await createTestInstance();
});
afterAll(async () => {
  await inst?.destroy();
});

/** Runs in a database of its own, so the cases do not see each other's tables. */
async function run(files: Record<string, string>, extra: Partial<PsqlRunOptions> = {}) {
  const db = `psql_case_${++dbCounter}`;
  await runPsqlScript({
    files: new Map([["setup.sql", `CREATE DATABASE ${db};`]]),
    entry: "setup.sql",
    settings: { ...DEFAULT_SESSION_SETTINGS },
    seed: 0,
    connect: (d) => connectPg(inst.connection, d),
  });
  const entry = Object.keys(files)[0]!;
  return runPsqlScript({
    files: new Map(Object.entries(files)),
    entry,
    settings: { ...DEFAULT_SESSION_SETTINGS },
    seed: 0.5,
    connect: (d) => connectPg(inst.connection, d ?? db),
    psqlOutput: true,
    ...extra,
  });
}

const SCRIPT = `create table t (id int primary key, name text);
insert into t values (1, 'one'), (2, 'two');
select * from t order by id;
insert into t values (1, 'dup');
select count(*) as n from t \\gset
\\echo n is :n rows :ROW_COUNT error :ERROR
select nosuch from t;
\\echo :SQLSTATE :ERROR
\\if :n
\\echo never
\\endif
select 'select ' || id || ' as x' from t order by id \\gexec
\\pset null '<null>'
\\x
select id, null as z from t where id = 1;
\\x
\\a
\\t
select id, name from t order by id;
\\t
\\a
select 1 as a \\; select 2 as b;
\\pset format csv
select id, name from t order by id;
`;

const PSQL_TEXT = ` id | name 
----+------
  1 | one
  2 | two
(2 rows)

psql:t.sql:4: ERROR:  duplicate key value violates unique constraint "t_pkey"
DETAIL:  Key (id)=(1) already exists.
n is 2 rows 1 error false
psql:t.sql:7: ERROR:  column "nosuch" does not exist
LINE 1: select nosuch from t;
               ^
42703 true
psql:t.sql:9: error: unrecognized value "2" for "\\if expression": Boolean expected
 x 
---
 1
(1 row)

 x 
---
 2
(1 row)

-[ RECORD 1 ]
id | 1
z  | <null>

1|one
2|two
 a 
---
 1
(1 row)

 b 
---
 2
(1 row)

id,name
1,one
2,two
`;

describe("runPsqlScript", () => {
  it("continue: runs every statement and prints exactly what psql -X -q -f prints", async () => {
    const res = await run({ "t.sql": SCRIPT }, { onError: "continue", inputName: "t.sql" });
    expect(res.output).toBe(PSQL_TEXT);
    expect(res.stopped_by).toBeUndefined();
    expect(res.errors.map((e) => [e.code, e.line, e.column, e.sqlstate, e.set_index])).toEqual([
      ["sql_error", 4, 1, "23505", 3],
      ["sql_error", 7, 8, "42703", 4],
      ["script_error", 9, 1, undefined, 4],
    ]);
    const sel = res.sets.find((s) => s.line === 3)!;
    expect(sel).toMatchObject({
      command: "SELECT",
      column: 1,
      rows: [
        ["1", "one"],
        ["2", "two"],
      ],
    });
    expect(sel.columns).toEqual([
      { name: "id", type: "int4" },
      { name: "name", type: "text" },
    ]);
  });

  it("stop: the first error ends the script and the result sets before it are kept", async () => {
    const res = await run({
      "h.sql": "select 1 as a;\nselect 2 as b;\nselect 1/0;\nselect 3 as never;\n",
    });
    expect(res.sets.map((s) => s.rows)).toEqual([[["1"]], [["2"]]]);
    expect(res.stopped_by).toMatchObject({
      code: "sql_error",
      line: 3,
      sqlstate: "22012",
      set_index: 2,
    });
    expect(res.errors).toHaveLength(1);
    expect(res.output).toContain("ERROR:  division by zero\n");
    expect(res.output).not.toContain("never");
  });

  it("\\set ON_ERROR_STOP in the script switches continue to stop, as in psql", async () => {
    const res = await run(
      { "h.sql": "select 1/0;\n\\set ON_ERROR_STOP on\nselect 1/0;\nselect 'after' as x;\n" },
      { onError: "continue" },
    );
    expect(res.errors).toHaveLength(2);
    expect(res.stopped_by?.line).toBe(3);
    expect(res.sets).toHaveLength(0);
  });

  it("echo all: input lines as psql -a echoes them from standard input (no prefix, no COPY data)", async () => {
    const res = await run(
      {
        "e.sql":
          "-- a comment\n\ncreate table c (x int);\ncopy c from stdout;\n1\n2\n\\.\nselect sum(x) from c;\nselect 'a\n\nb' as s;\n",
      },
      { onError: "continue", echo: "all" },
    );
    expect(res.output).toBe(
      "-- a comment\ncreate table c (x int);\ncopy c from stdout;\nselect sum(x) from c;\n sum \n-----\n   3\n(1 row)\n\nselect 'a\n\nb' as s;\n s \n---\n a+\n  +\n b\n(1 row)\n\n",
    );
  });

  it("\\copy from a project file and COPY from PG_ABS_SRCDIR read the project tree", async () => {
    const res = await run(
      {
        "c.sql":
          "create table c (x int, y text);\n\\copy c from 'data/rows.csv' with (format csv)\n\\getenv src PG_ABS_SRCDIR\n\\set f :src '/data/rows.tsv'\nCOPY c FROM :'f';\nselect count(*), string_agg(y, ',' order by x) from c;\n",
        "data/rows.csv": "1,a\n2,b\n",
        "data/rows.tsv": "3\tc\n",
      },
      { onError: "continue" },
    );
    expect(res.errors).toEqual([]);
    expect(res.sets.at(-1)?.rows).toEqual([["3", "a,b,c"]]);
  });

  it("refuses shell and host-file commands before any SQL runs", async () => {
    const p = run(
      { "r.sql": "create table never_made (x int);\n\\! ls\n" },
      { onError: "continue" },
    );
    await expect(p).rejects.toBeInstanceOf(ScriptError);
    await expect(p).rejects.toMatchObject({ code: "unsupported_command", line: 2 });
  });

  it("reports a meta-command it does not run where it stands and goes on", async () => {
    const res = await run({ "u.sql": "\\gdesc\nselect 1 as one;\n" }, { onError: "continue" });
    expect(res.errors[0]).toMatchObject({ code: "unsupported_command", line: 1 });
    expect(res.sets).toHaveLength(1);
  });
});

describe("expected-output tests", () => {
  it("reports test.passed against a sibling .out and a unified diff when it differs", async () => {
    const ok = await run(
      {
        "test/x.sql": "select 1 as a;\n",
        "test/x.out": "select 1 as a;\n a \n---\n 1\n(1 row)\n\n",
      },
      { onError: "continue", echo: "all", test: true },
    );
    expect(ok.test).toEqual({ passed: true, expected_path: "test/x.out", diff: "" });
    const bad = await run(
      {
        "sql/y.sql": "select 2 as a;\n",
        "expected/y.out": "select 2 as a;\n a \n---\n 1\n(1 row)\n\n",
      },
      { onError: "continue", echo: "all", test: true },
    );
    expect(bad.test?.passed).toBe(false);
    expect(bad.test?.expected_path).toBe("expected/y.out");
    expect(bad.test?.diff).toContain("- 1\n+ 2\n");
  });
});

describe("the \\d listing commands", () => {
  it("print psql's titled catalog listings (text from psql 15 on the same server, with psql 18's titles for one relation kind)", async () => {
    const res = await run(
      {
        "d.sql":
          "create table dd (a int primary key, b text);\ncreate view ddv as select 1 as x;\ncreate domain dom as int check (value > 0);\ncreate function ff(int) returns int language sql as 'select 1';\n\\d\n\\dt dd*\n\\dD\n\\df\n\\dn\n\\dv nosuch\n",
      },
      { onError: "continue" },
    );
    expect(res.errors).toEqual([]);
    expect(res.output).toBe(`        List of relations
 Schema | Name | Type  |  Owner   
--------+------+-------+----------
 public | dd   | table | postgres
 public | ddv  | view  | postgres
(2 rows)

          List of tables
 Schema | Name | Type  |  Owner   
--------+------+-------+----------
 public | dd   | table | postgres
(1 row)

                               List of domains
 Schema | Name |  Type   | Collation | Nullable | Default |       Check       
--------+------+---------+-----------+----------+---------+-------------------
 public | dom  | integer |           |          |         | CHECK (VALUE > 0)
(1 row)

                       List of functions
 Schema | Name | Result data type | Argument data types | Type 
--------+------+------------------+---------------------+------
 public | ff   | integer          | integer             | func
(1 row)

      List of schemas
  Name  |       Owner       
--------+-------------------
 public | pg_database_owner
(1 row)

        List of views
 Schema | Name | Type | Owner 
--------+------+------+-------
(0 rows)

`);
  });
});

describe("\\d NAME", () => {
  // Expected text: psql 15 (`psql -X -q -f d.sql`) on PostgreSQL 15 for the same script; the
  // catalog functions it calls print the same on 18.
  it("describes tables and views as psql does; a name that matches nothing is a silent error", async () => {
    const res = await run(
      {
        "d.sql": `create table parent (id int primary key, code text unique);
create table t (id int primary key, name text not null default 'x', price numeric(8,2) check (price > 0), parent_id int references parent(id), created timestamptz default now(), c "char", v varchar(10) collate "C", g int generated always as identity, h int generated always as (id * 2) stored);
create index t_name_idx on t (name);
create unique index t_lower on t (lower(name)) where price > 1;
create function trg() returns trigger language plpgsql as 'begin return new; end';
create trigger t_touch before update on t for each row execute function trg();
create view vv as select id, name from t;
\\d t
\\d parent
\\d nosuch
\\d vv
\\echo done
`,
      },
      { onError: "continue", inputName: "d.sql" },
    );
    expect(res.output).toBe(`                                         Table "public.t"
  Column   |           Type           | Collation | Nullable |               Default               
-----------+--------------------------+-----------+----------+-------------------------------------
 id        | integer                  |           | not null | 
 name      | text                     |           | not null | 'x'::text
 price     | numeric(8,2)             |           |          | 
 parent_id | integer                  |           |          | 
 created   | timestamp with time zone |           |          | now()
 c         | "char"                   |           |          | 
 v         | character varying(10)    | C         |          | 
 g         | integer                  |           | not null | generated always as identity
 h         | integer                  |           |          | generated always as (id * 2) stored
Indexes:
    "t_pkey" PRIMARY KEY, btree (id)
    "t_lower" UNIQUE, btree (lower(name)) WHERE price > 1::numeric
    "t_name_idx" btree (name)
Check constraints:
    "t_price_check" CHECK (price > 0::numeric)
Foreign-key constraints:
    "t_parent_id_fkey" FOREIGN KEY (parent_id) REFERENCES parent(id)
Triggers:
    t_touch BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION trg()

               Table "public.parent"
 Column |  Type   | Collation | Nullable | Default 
--------+---------+-----------+----------+---------
 id     | integer |           | not null | 
 code   | text    |           |          | 
Indexes:
    "parent_pkey" PRIMARY KEY, btree (id)
    "parent_code_key" UNIQUE CONSTRAINT, btree (code)
Referenced by:
    TABLE "t" CONSTRAINT "t_parent_id_fkey" FOREIGN KEY (parent_id) REFERENCES parent(id)

                 View "public.vv"
 Column |  Type   | Collation | Nullable | Default 
--------+---------+-----------+----------+---------
 id     | integer |           |          | 
 name   | text    |           |          | 

done
`);
    expect(res.errors).toEqual([
      expect.objectContaining({ code: "script_error", file: "d.sql", line: 10 }),
    ]);
    expect(res.errors[0]?.message).toContain('Did not find any relation named "nosuch".');
  });

  it("prints inheritance and partitioning lines as psql does", async () => {
    const res = await run(
      {
        "d.sql": `create table base1 (a int);
create table base2 (b text);
create table kid (c int) inherits (base1, base2);
create table kid2 () inherits (base1);
create table parted (id int, v text) partition by range (id);
create table parted_1 partition of parted for values from (0) to (10);
create table parted_d partition of parted default;
\\d base1
\\d kid
\\d parted
\\d parted_1
\\d parted_d
`,
      },
      { onError: "continue" },
    );
    expect(res.errors).toEqual([]);
    expect(res.output).toBe(`               Table "public.base1"
 Column |  Type   | Collation | Nullable | Default 
--------+---------+-----------+----------+---------
 a      | integer |           |          | 
Number of child tables: 2 (Use \\d+ to list them.)

                Table "public.kid"
 Column |  Type   | Collation | Nullable | Default 
--------+---------+-----------+----------+---------
 a      | integer |           |          | 
 b      | text    |           |          | 
 c      | integer |           |          | 
Inherits: base1,
          base2

         Partitioned table "public.parted"
 Column |  Type   | Collation | Nullable | Default 
--------+---------+-----------+----------+---------
 id     | integer |           |          | 
 v      | text    |           |          | 
Partition key: RANGE (id)
Number of partitions: 2 (Use \\d+ to list them.)

              Table "public.parted_1"
 Column |  Type   | Collation | Nullable | Default 
--------+---------+-----------+----------+---------
 id     | integer |           |          | 
 v      | text    |           |          | 
Partition of: parted FOR VALUES FROM (0) TO (10)

              Table "public.parted_d"
 Column |  Type   | Collation | Nullable | Default 
--------+---------+-----------+----------+---------
 id     | integer |           |          | 
 v      | text    |           |          | 
Partition of: parted DEFAULT

`);
  });

  it("\\sv prints a view's definition as psql does; other relations and unknown names are errors", async () => {
    // psql 15 printed this on PostgreSQL 15, except the view bodies: they are the server's
    // pg_get_viewdef, and 16+ no longer qualifies the columns of a one-table query (vt.a -> a).
    const res = await run(
      {
        "d.sql": `create table vt (a int, "B" text);
create view v1 as select a, "B" from vt where a > 1 order by a;
create view "Mixed" as select a from vt with local check option;
\\sv v1
\\sv "Mixed"
\\sv vt
\\sv nosuch
\\echo done
`,
      },
      { onError: "continue", inputName: "d.sql" },
    );
    expect(res.output).toBe(`CREATE OR REPLACE VIEW public.v1 AS
 SELECT a,
    "B"
   FROM vt
  WHERE a > 1
  ORDER BY a
CREATE OR REPLACE VIEW public."Mixed" AS
 SELECT a
   FROM vt
 WITH LOCAL CHECK OPTION
psql:d.sql:6: error: "public.vt" is not a view
psql:d.sql:7: error: ERROR:  relation "nosuch" does not exist
done
`);
    expect(res.errors.map((e) => e.line)).toEqual([6, 7]);
  });

  it("\\sf and \\sf+ print a function's definition as psql does, \\sv+ numbers a view's lines", async () => {
    // The expected text is what psql 15 printed for this script on the same PostgreSQL 18 server
    // (psql -X -q -f d.sql, 2026-12-03); the definitions themselves are pg_get_functiondef's.
    const res = await run(
      {
        "d.sql": `create function add1(a int) returns int language sql immutable as 'select a + 1';
create function "Greet"(who text, n int default 1) returns text language plpgsql as $$
begin
  return repeat('hi ' || who, n);
end $$;
create function std(x int) returns int language sql begin atomic select x * 2; end;
create function ret(x int) returns int language sql return x + 3;
create procedure p1(inout r int) language sql as $$ select 1 $$;
create view v1 as select 1 as one;
create aggregate mysum(int) (sfunc = int4pl, stype = int);
\\sf add1
\\sf+ "Greet"(text, int)
\\sf+ std(int)
\\sf+ ret
\\sf p1
\\sf count
\\sf nosuch
\\sf add1(text)
\\sf mysum
\\sf
\\sv+ v1
\\sv
\\echo done
`,
      },
      { onError: "continue", inputName: "d.sql" },
    );
    expect(res.output).toBe(`CREATE OR REPLACE FUNCTION public.add1(a integer)
 RETURNS integer
 LANGUAGE sql
 IMMUTABLE
AS $function$select a + 1$function$
        CREATE OR REPLACE FUNCTION public."Greet"(who text, n integer DEFAULT 1)
         RETURNS text
         LANGUAGE plpgsql
1       AS $function$
2       begin
3         return repeat('hi ' || who, n);
4       end $function$
        CREATE OR REPLACE FUNCTION public.std(x integer)
         RETURNS integer
         LANGUAGE sql
1       BEGIN ATOMIC
2        SELECT (x * 2);
3       END
        CREATE OR REPLACE FUNCTION public.ret(x integer)
         RETURNS integer
         LANGUAGE sql
1       RETURN (x + 3)
CREATE OR REPLACE PROCEDURE public.p1(INOUT r integer)
 LANGUAGE sql
AS $procedure$ select 1 $procedure$
psql:d.sql:16: error: ERROR:  more than one function named "count"
psql:d.sql:17: error: ERROR:  function "nosuch" does not exist
psql:d.sql:18: error: ERROR:  function "add1(text)" does not exist
psql:d.sql:19: error: ERROR:  "mysum" is an aggregate function
psql:d.sql:20: error: function name is required
1       CREATE OR REPLACE VIEW public.v1 AS
2        SELECT 1 AS one
psql:d.sql:22: error: view name is required
done
`);
    expect(res.errors.map((e) => e.line)).toEqual([16, 17, 18, 19, 20, 22]);
  });

  it("stops at a name that matches nothing under ON_ERROR_STOP, and runs \\d+ NAME (no longer refused)", async () => {
    const stop = await run({ "d.sql": "\\d nosuch\n\\echo after\n" }, { onError: "stop" });
    expect(stop.output).toBe("");
    expect(stop.stopped_by).toMatchObject({ line: 1 });
    const plus = await run(
      { "d.sql": "create table x (a int);\n\\d+ x\n\\echo after\n" },
      { onError: "continue" },
    );
    expect(plus.errors).toEqual([]);
    expect(plus.output).toBe(`                                            Table "public.x"
 Column |  Type   | Collation | Nullable | Default | Storage | Compression | Stats target | Description 
--------+---------+-----------+----------+---------+---------+-------------+--------------+-------------
 a      | integer |           |          |         | plain   |             |              | 
Access method: heap

after
`);
  });
});

describe("type names", () => {
  it("names user types from knownTypes without the pg_type round trip, for its database only", async () => {
    const db = `psql_case_${++dbCounter}`;
    const inDb = (files: Record<string, string>, extra: Partial<PsqlRunOptions> = {}) =>
      runPsqlScript({
        files: new Map(Object.entries(files)),
        entry: Object.keys(files)[0]!,
        settings: { ...DEFAULT_SESSION_SETTINGS },
        seed: 0,
        connect: (d) => connectPg(inst.connection, d ?? db),
        ...extra,
      });
    await inDb(
      { "c.sql": `CREATE DATABASE ${db};` },
      { connect: (d) => connectPg(inst.connection, d) },
    );
    await inDb({ "t.sql": "CREATE TYPE hue AS ENUM ('red', 'green');" });
    const oid = (await inDb({ "o.sql": "SELECT 'hue'::regtype::oid::text AS oid;" })).sets[0]!
      .rows[0]![0]!;
    const asked = await inDb({ "b.sql": "SELECT 'red'::hue AS h;" });
    expect(asked.sets[0]!.columns[0]!.type).toBe("hue");
    // A name only the map knows shows the map was used, and the round trip is gone.
    const known = await inDb(
      { "b.sql": "SELECT 'red'::hue AS h;" },
      { knownTypes: { database: db, names: { [oid]: "hue_from_boot" } } },
    );
    expect(known.sets[0]!.columns[0]!.type).toBe("hue_from_boot");
    expect(known.stats.round_trips).toBe(asked.stats.round_trips - 1);
    const other = await inDb(
      { "b.sql": "SELECT 'red'::hue AS h;" },
      { knownTypes: { database: "not-this-one", names: { [oid]: "hue_from_boot" } } },
    );
    expect(other.sets[0]!.columns[0]!.type).toBe("hue");
  });
});
