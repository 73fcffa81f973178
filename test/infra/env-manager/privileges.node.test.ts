// The user's role `postgres` can load real dumps but cannot reach the host: every escape attempt is
// refused by PostgreSQL itself (docs/security.md), over the same proxy path the Worker uses.
import type { Client } from "@neondatabase/serverless";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connectViaProxy,
  startTestEnv,
  type TestEnv,
} from "../../../infra/local-dev/env-manager/test-harness.ts";

let env: TestEnv;
let client: Client;
let instanceId: string;

beforeAll(async () => {
  env = await startTestEnv();
  const created = await env.call("POST", "/v1/instances", {
    from: { base: { engine: env.handle.manager.binaries.engine } },
  });
  instanceId = created.json.instance_id;
  client = await connectViaProxy(created.json.connection);
});

afterAll(async () => {
  await client?.end();
  await env?.close();
});

async function refused(sql: string): Promise<{ code: string; message: string }> {
  try {
    await client.query(sql);
  } catch (err) {
    const e = err as { code?: string; message: string };
    return { code: e.code ?? "", message: e.message };
  }
  throw new Error(`expected refusal of: ${sql}`);
}

describe("the user's role", () => {
  it("is postgres, not a superuser, and in none of the server-file roles", async () => {
    const res = await client.query(
      `SELECT current_user AS who, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls,
              pg_has_role('postgres', 'pg_execute_server_program', 'MEMBER') AS exec,
              pg_has_role('postgres', 'pg_read_server_files', 'MEMBER') AS readf,
              pg_has_role('postgres', 'pg_write_server_files', 'MEMBER') AS writef
       FROM pg_roles WHERE rolname = current_user`,
    );
    expect(res.rows[0]).toEqual({
      who: "postgres",
      rolsuper: false,
      rolcreatedb: true,
      // CREATEROLE only where it cannot reach predefined roles (PostgreSQL 16+, docs/security.md).
      rolcreaterole: env.handle.manager.binaries.major >= 16,
      rolreplication: false,
      rolbypassrls: false,
      exec: false,
      readf: false,
      writef: false,
    });
  });

  it("owns the default database and can do what pg_dump output does", async () => {
    const res = await client.query(
      `SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = 'postgres'`,
    );
    expect(res.rows[0].owner).toBe("postgres");
    await client.query(`SET lc_messages = 'C'`);
    await client.query(`SET statement_timeout = 0`);
    await client.query(`SELECT pg_catalog.set_config('search_path', 'public', false)`);
    await client.query(`CREATE TABLE owned_t (id int)`);
    await client.query(`ALTER TABLE owned_t OWNER TO postgres`);
    await client.query(`CREATE EXTENSION IF NOT EXISTS pgcrypto`);
    const ext = await client.query(`SELECT extname FROM pg_extension WHERE extname = 'pgcrypto'`);
    expect(ext.rows).toHaveLength(1);
  });
});

describe("escape attempts", () => {
  it("refuses COPY ... TO PROGRAM", async () => {
    const e = await refused(`COPY (SELECT 1) TO PROGRAM 'id'`);
    expect(e.code).toBe("42501");
    expect(e.message).toMatch(/COPY to or from an external program/);
  });

  it("refuses COPY ... FROM a server file", async () => {
    const e = await refused(`CREATE TEMP TABLE f (l text); COPY f FROM '/etc/passwd'`);
    expect(e.code).toBe("42501");
    expect(e.message).toMatch(/COPY from a file/);
  });

  it("refuses pg_read_file", async () => {
    const e = await refused(`SELECT pg_read_file('/etc/passwd')`);
    expect(e.code).toBe("42501");
    expect(e.message).toMatch(/pg_read_file/);
  });

  it("refuses lo_import of a server file", async () => {
    const e = await refused(`SELECT lo_import('/etc/passwd')`);
    expect(e.code).toBe("42501");
    expect(e.message).toMatch(/lo_import/);
  });

  it("refuses CREATE EXTENSION plperlu (an untrusted language)", async () => {
    const e = await refused(`CREATE EXTENSION plperlu`);
    expect(["42501", "58P01", "0A000"]).toContain(e.code);
    expect(e.message).toMatch(/permission denied|superuser|not available|could not/i);
  });

  it("refuses extensions that reach other servers or files (dblink, postgres_fdw, file_fdw)", async () => {
    for (const ext of ["dblink", "postgres_fdw", "file_fdw"]) {
      const e = await refused(`CREATE EXTENSION ${ext}`);
      expect({ ext, code: e.code }).toEqual({ ext, code: "42501" });
    }
  });

  it("refuses ALTER SYSTEM", async () => {
    const e = await refused(`ALTER SYSTEM SET fsync = on`);
    expect(e.code).toBe("42501");
    expect(e.message).toMatch(/permission denied/);
  });

  it("refuses granting itself the server-program role or superuser", async () => {
    const grant = await refused(`GRANT pg_execute_server_program TO postgres`);
    expect(grant.code).toBe("42501");
    const su = await refused(`ALTER ROLE postgres SUPERUSER`);
    expect(su.code).toBe("42501");
    const newSu = await refused(`CREATE ROLE sneaky SUPERUSER`);
    expect(newSu.code).toBe("42501");
  });

  it("refuses changing the platform's admin role", async () => {
    const e = await refused(`ALTER ROLE sqlrunner_admin PASSWORD 'x'`);
    expect(e.code).toBe("42501");
  });

  it("leaves the instance usable after the refusals", async () => {
    const res = await client.query("SELECT 1 AS ok");
    expect(res.rows[0].ok).toBe(1);
    const info = await env.call("GET", `/v1/instances/${instanceId}`);
    expect(info.json.state).toBe("ready");
  });
});
