// psql's output details against a real PostgreSQL from the local platform: a result with no
// columns, the order of a `\;` query's notices and tables, tabs and control characters in aligned
// cells, `\sv NAME;`, and the echo of a `\quit` line. The expected texts are real psql's, copied
// byte for byte from PostgreSQL's regression suite (expected/errors.out lines 19-22,
// transactions.out 1076-1083, sqljson_jsontable.out 1139-1147,
// collate.linux.utf8_1.out 6-11, copy2.out 28-34, strings.out 2672-2685) or, where marked, from
// psql's print.c rules.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectPg } from "../../src/clients/pg.ts";
import { runPsqlScript } from "../../src/engine/psql/interpreter.ts";
import { DEFAULT_SESSION_SETTINGS } from "../../src/planner/settings.ts";
import { createTestInstance, type TestInstance } from "../support/instance.ts";

let inst: TestInstance;
beforeAll(async () => {
  inst = await createTestInstance();
});
afterAll(async () => {
  await inst?.destroy();
});

async function psqlText(script: string, echo = false): Promise<string> {
  const res = await runPsqlScript({
    files: new Map([["t.sql", script]]),
    entry: "t.sql",
    settings: { ...DEFAULT_SESSION_SETTINGS },
    seed: 0,
    connect: (d) => connectPg(inst.connection, d),
    psqlOutput: true,
    onError: "continue",
    ...(echo ? { echo: "all" as const } : {}),
  });
  return res.output ?? "";
}

describe("psql's printing", () => {
  it("prints a result without columns as its rule and footer", async () => {
    expect(await psqlText("select;\n", true)).toBe("select;\n--\n(1 row)\n\n");
  });

  it("prints a notice of the next statement of a \\; query before the table", async () => {
    expect(await psqlText("SELECT 1\\; COMMIT\\; VACUUM;\n", true)).toBe(
      `SELECT 1\\; COMMIT\\; VACUUM;
WARNING:  there is no transaction in progress
 ?column? 
----------
        1
(1 row)

ERROR:  VACUUM cannot run inside a transaction block
`,
    );
  });

  it("expands tabs to the next multiple of 8 and shows control characters as \\xNN", async () => {
    // prepare.out: a statement text holding tabs, as pg_prepared_statements returns it.
    const out = await psqlText(
      "SELECT E'PREPARE q AS\\n\\tSELECT 1;' AS statement, E'a\\x01b\\rc' AS c;\n",
    );
    // 8 columns for the tab, 4 for \x01, 2 for \r (print.c's pg_wcsformat), widths and centring
    // as in the other tables; the same rule lays out prepare.out's pg_prepared_statements table.
    expect(out).toBe(`     statement     |     c     
-------------------+-----------
 PREPARE q AS     +| a\\x01b\\rc
         SELECT 1; | 
(1 row)

`);
  });

  it("reads \\sv's name without its trailing semicolon", async () => {
    const out = await psqlText(
      `CREATE VIEW json_table_view8 AS SELECT * from JSON_TABLE('"a"', '$' COLUMNS (a text PATH '$'));
\\sv json_table_view8;
`,
    );
    expect(out).toBe(`CREATE OR REPLACE VIEW public.json_table_view8 AS
 SELECT a
   FROM JSON_TABLE(
            '"a"'::text, '$' AS json_table_path_0
            COLUMNS (
                a text PATH '$'
            )
        )
`);
  });

  it("echoes the \\if and \\quit lines that end the script", async () => {
    const out = await psqlText(
      "SELECT true AS skip_test \\gset\n\\if :skip_test\n\\quit\n\\endif\nSELECT 2;\n",
      true,
    );
    expect(out).toBe("SELECT true AS skip_test \\gset\n\\if :skip_test\n\\quit\n");
  });

  it("reads the lines after a COPY FROM stdin the server refused as SQL", async () => {
    const out = await psqlText(
      `CREATE TABLE x (a int);
-- non-existent column in column list: should fail
COPY x (xyz) from stdin;
-- redundant options
COPY x from stdin (format CSV, FORMAT CSV);
COPY x from stdin;
1
\\.
SELECT count(*) FROM x;
`,
      true,
    );
    expect(out).toBe(`CREATE TABLE x (a int);
-- non-existent column in column list: should fail
COPY x (xyz) from stdin;
ERROR:  column "xyz" of relation "x" does not exist
-- redundant options
COPY x from stdin (format CSV, FORMAT CSV);
ERROR:  conflicting or redundant options
LINE 1: COPY x from stdin (format CSV, FORMAT CSV);
                                       ^
COPY x from stdin;
SELECT count(*) FROM x;
 count 
-------
     1
(1 row)

`);
  });

  it("shows a notice's position as an error's: LINE n and the cursor (plpgsql.out 2971-2986)", async () => {
    const script = `set plpgsql.extra_warnings to 'shadowed_variables';
create or replace function shadowtest(in1 int)
\treturns table (out1 int) as $$
declare
in1 int;
out1 int;
begin
end
$$ language plpgsql;
`;
    expect(
      await psqlText(script, true),
    ).toBe(`${script}WARNING:  variable "in1" shadows a previously defined variable
LINE 4: in1 int;
        ^
WARNING:  variable "out1" shadows a previously defined variable
LINE 5: out1 int;
        ^
`);
  });

  it("keeps the header widths of aligned columns with tuples only (partition_prune.out 4455-4457)", async () => {
    const out = await psqlText(
      "\\t on\nselect 'hp_prefix_test_p0' as tableoid, null::int as a, null::int as b;\nselect 7 as longname;\n",
    );
    expect(out).toBe(" hp_prefix_test_p0 |   |  \n\n        7\n\n");
  });

  it("echoes only while ECHO is all (\\set ECHO none, as tsearch.sql does)", async () => {
    const out = await psqlText(
      "SELECT 1 AS a;\n\\set ECHO none\nSELECT 2 AS b;\n\\set ECHO all\nSELECT 3 AS c;\n",
      true,
    );
    expect(out).toBe(
      "SELECT 1 AS a;\n a \n---\n 1\n(1 row)\n\n\\set ECHO none\n b \n---\n 2\n(1 row)\n\nSELECT 3 AS c;\n c \n---\n 3\n(1 row)\n\n",
    );
  });
  it("lexes literals as the server's standard_conforming_strings says, after each SET", async () => {
    // strings.sql 839-848: the same values written both ways; with the setting off, `\'` and
    // `\\` are escapes, so the lexer must not end the literal at the quote after a backslash.
    const script = String.raw`set escape_string_warning = off;
set standard_conforming_strings = on;

select 'a\bcd' as f1, 'a\b''cd' as f2, 'a\b''''cd' as f3, 'abcd\'   as f4, 'ab\''cd' as f5, '\\' as f6;

set standard_conforming_strings = off;

select 'a\\bcd' as f1, 'a\\b\'cd' as f2, 'a\\b\'''cd' as f3, 'abcd\\'   as f4, 'ab\\\'cd' as f5, '\\\\' as f6;

reset standard_conforming_strings;
`;
    const table = String.raw`  f1   |   f2   |   f3    |  f4   |   f5   | f6 
-------+--------+---------+-------+--------+----
 a\bcd | a\b'cd | a\b''cd | abcd\ | ab\'cd | \\
(1 row)

`;
    const lines = script.split("\n").filter((l) => l !== "");
    expect(await psqlText(script, true)).toBe(
      `${lines.slice(0, 3).join("\n")}\n${table}${lines.slice(3, 5).join("\n")}\n${table}${lines[5]}\n`,
    );
  });
  it("reads a COPY's inline data after a COPY the server refused before asking for data", async () => {
    // copy2.sql 353-372's shape: the lines after the refused COPY are SQL (psql never reads them
    // as data), and the next COPYs' data must still go to the server, with statements sent
    // ahead under "continue". The expected text is psql 15's (`psql -X -q -a` from stdin) against
    // PostgreSQL 18.
    const script = String.raw`CREATE TEMP TABLE f (a int);
COPY f (nosuch) FROM STDIN;
ROLLBACK;
BEGIN;
COPY f FROM STDIN;
4
\.
COMMIT;
SELECT count(*) FROM f;
BEGIN;
COPY f FROM STDIN;
5
\.
COMMIT;
`;
    expect(await psqlText(script, true)).toBe(`CREATE TEMP TABLE f (a int);
COPY f (nosuch) FROM STDIN;
ERROR:  column "nosuch" of relation "f" does not exist
ROLLBACK;
WARNING:  there is no transaction in progress
BEGIN;
COPY f FROM STDIN;
COMMIT;
SELECT count(*) FROM f;
 count 
-------
     1
(1 row)

BEGIN;
COPY f FROM STDIN;
COMMIT;
`);
  });

  it("gives each COPY FROM stdin of a \\; query its own data block, in order (copyselect.out 142-152)", async () => {
    const script = String.raw`create temp table test3 (c int);
select 0\; copy test3 from stdin\; copy test3 from stdin\; select 1; -- 0 1
1
\.
2
\.
select * from test3;
`;
    expect(await psqlText(script, true)).toBe(`create temp table test3 (c int);
select 0\\; copy test3 from stdin\\; copy test3 from stdin\\; select 1; -- 0 1
 ?column? 
----------
        0
(1 row)

 ?column? 
----------
        1
(1 row)

select * from test3;
 c 
---
 1
 2
(2 rows)

`);
  });

  it("reads the second COPY's block as SQL when the first COPY of the \\; query fails", async () => {
    // The server ends the query at the first error, so no data is asked for: psql reads the lines
    // as SQL (as psql 15 does for this script).
    const script = String.raw`create temp table t4 (c int);
copy nosuch from stdin\; copy t4 from stdin;
select 7;
\.
select count(*) from t4;
`;
    const out = await psqlText(script);
    expect(out).toBe(`ERROR:  relation "nosuch" does not exist
 ?column? 
----------
        7
(1 row)

invalid command \\.
 count 
-------
     0
(1 row)

`);
  });

  it("writes COPY TO STDOUT rows as they arrive, between the notices of the statement's triggers (copydml.out 103-114)", async () => {
    // The last COPY is sent ahead with the two statements after it (continue mode): its rows and
    // notices are replayed in the order they arrived.
    const script = String.raw`create temp table copydml_test (id serial, t text);
create function pg_temp.qqq_trig() returns trigger as $$
begin
if tg_op in ('INSERT', 'UPDATE') then
    raise notice '% % %', tg_when, tg_op, new.id;
    return new;
else
    raise notice '% % %', tg_when, tg_op, old.id;
    return old;
end if;
end
$$ language plpgsql;
create trigger qqqbef before insert or update or delete on copydml_test
    for each row execute procedure pg_temp.qqq_trig();
create trigger qqqaf after insert or update or delete on copydml_test
    for each row execute procedure pg_temp.qqq_trig();
copy (insert into copydml_test (t) values ('f') returning id) to stdout;
copy (update copydml_test set t = 'g' where t = 'f' returning id) to stdout;
copy (delete from copydml_test where t = 'g' returning id) to stdout;
drop table copydml_test;
drop function pg_temp.qqq_trig();
`;
    expect(await psqlText(script)).toBe(`NOTICE:  BEFORE INSERT 1
1
NOTICE:  AFTER INSERT 1
NOTICE:  BEFORE UPDATE 1
1
NOTICE:  AFTER UPDATE 1
NOTICE:  BEFORE DELETE 1
1
NOTICE:  AFTER DELETE 1
`);
  });

  it("\\crosstabview pivots the query it sends, or the previous one, and reports psql's errors", async () => {
    // psql 15's output for this script from standard input (-X -q -a) against PostgreSQL 18.
    const script = `SELECT v, h, c FROM (VALUES ('v0', 'h1', 'a'), ('v1', 'h0', 'b')) AS t(v, h, c) ORDER BY 1;
 \\crosstabview
SELECT 1 \\crosstabview
SELECT 'x' AS k, 2 AS "H", 3 AS d
  \\crosstabview k "H" d
`;
    expect(
      await psqlText(script, true),
    ).toBe(`SELECT v, h, c FROM (VALUES ('v0', 'h1', 'a'), ('v1', 'h0', 'b')) AS t(v, h, c) ORDER BY 1;
 v  | h  | c 
----+----+---
 v0 | h1 | a
 v1 | h0 | b
(2 rows)

 \\crosstabview
 v  | h1 | h0 
----+----+----
 v0 | a  | 
 v1 |    | b
(2 rows)

SELECT 1 \\crosstabview
\\crosstabview: query must return at least three columns
SELECT 'x' AS k, 2 AS "H", 3 AS d
  \\crosstabview k "H" d
 k | 2 
---+---
 x | 3
(1 row)

`);
  });
});
