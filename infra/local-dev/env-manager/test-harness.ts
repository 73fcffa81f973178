// Helpers for the env-manager node tests (test/infra/env-manager/) and the platform bench: a
// throwaway env-manager on a temporary data root, an authenticated JSON caller, and PostgreSQL
// sessions as the user's role, either through the WebSocket proxy (as the Worker connects) or
// straight over the instance's unix socket.
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client as NeonClient, neonConfig } from "@neondatabase/serverless";
import pg from "pg";
import ws from "ws";
import type { PgConnection } from "../../../src/clients/contracts/pg-connection.ts";
import { SOCKET_PORT } from "../postgres/settings.ts";
import type { PoolConfig } from "./config.ts";
import { type EnvManagerHandle, type StartOptions, startEnvManager } from "./server.ts";

export const TEST_TOKEN = "test-platform-token";
/** Base images are made once per machine for all tests (atomic rename makes sharing safe). */
export const SHARED_BASES_DIR = join(tmpdir(), "sql-runner-test-bases");

export const TEST_WORK_ROOT = existsSync("/dev/shm")
  ? "/dev/shm/sql-runner-tests"
  : join(tmpdir(), "sql-runner-tests");

export const NO_POOL: PoolConfig = {
  perSource: 0,
  recentSources: 0,
  maxTotal: 0,
  memoryBudgetBytes: 0,
  instanceBytes: 48 << 20,
  prewarmBase: false,
  refillDelayMs: 0,
};

/** One pooled instance for each of the last two sources, refilled at once; the base prewarmed. */
export const ONE_PER_SOURCE_POOL: PoolConfig = {
  perSource: 1,
  recentSources: 2,
  maxTotal: 2,
  memoryBudgetBytes: 1 << 30,
  instanceBytes: 48 << 20,
  prewarmBase: true,
  refillDelayMs: 0,
};

export interface TestEnv {
  handle: EnvManagerHandle;
  dataDir: string;
  call(method: string, path: string, body?: unknown, token?: string): Promise<TestReply>;
  close(): Promise<void>;
}

export interface TestReply {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: test replies are inspected field by field.
  json: any;
}

export async function startTestEnv(opts: StartOptions = {}): Promise<TestEnv> {
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), "env-manager-test-")));
  const handle = await startEnvManager({
    dataDir,
    // One root for all tests: a run killed midway leaves `<pid>-*` directories the next run sweeps.
    workDir: TEST_WORK_ROOT,
    basesDir: SHARED_BASES_DIR,
    token: TEST_TOKEN,
    pool: NO_POOL,
    ...opts,
  });
  return {
    handle,
    dataDir,
    async call(method, path, body, token = TEST_TOKEN) {
      const res = await fetch(handle.url + path, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : null };
    },
    async close() {
      await handle.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Creates an instance of the default engine's base image; throws unless env-manager answers 201. */
// biome-ignore lint/suspicious/noExplicitAny: test replies are inspected field by field.
export async function createBaseInstance(env: TestEnv): Promise<any> {
  const created = await env.call("POST", "/v1/instances", {
    from: { base: { engine: env.handle.manager.binaries.engine } },
  });
  if (created.status !== 201)
    throw new Error(`create: ${created.status} ${JSON.stringify(created.json)}`);
  return created.json;
}

/** A neon-driver session through the platform's WebSocket proxy, as the Worker opens one. */
export async function connectViaProxy(
  conn: PgConnection,
  overrides: Partial<PgConnection> = {},
): Promise<NeonClient> {
  neonConfig.webSocketConstructor = ws;
  neonConfig.useSecureWebSocket = false;
  neonConfig.pipelineTLS = false;
  neonConfig.pipelineConnect = false;
  neonConfig.coalesceWrites = false;
  const c = { ...conn, ...overrides };
  neonConfig.wsProxy = (host, port) => `${c.ws_proxy}/v2?address=${host}:${port}`;
  const client = new NeonClient({
    host: c.host,
    port: c.port,
    user: c.user,
    password: c.password,
    database: c.database,
  });
  client.on("error", () => {});
  await client.connect();
  return client;
}

/** A node-postgres session over the instance's unix socket (node tests and benches only). */
export async function connectDirect(
  socketDir: string,
  conn: Pick<PgConnection, "user" | "password" | "database">,
): Promise<pg.Client> {
  const client = new pg.Client({
    host: socketDir,
    port: SOCKET_PORT,
    user: conn.user,
    password: conn.password,
    database: conn.database,
  });
  client.on("error", () => {});
  await client.connect();
  return client;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Polls until `check` holds (tests wait for background work without fixed delays). The default
 * wait is just under the node project's 60 s test timeout: a background boot (pool refill) on a
 * loaded 2-core CI machine can take far longer than on a quiet one, and the test's own timeout is
 * what should bound it. `explain` adds the state that was waited on to the failure.
 */
export async function waitFor(
  check: () => Promise<boolean> | boolean,
  timeoutMs = 55_000,
  explain?: () => string,
) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(20);
  }
  const state = explain ? `: ${explain()}` : "";
  throw new Error(`condition not met within ${timeoutMs} ms${state}`);
}
