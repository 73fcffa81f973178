// The throwaway-instance profile: how base clusters are initialized and how every instance runs.
// Durability is off on purpose: a layer is taken from a cleanly stopped cluster or from one frozen
// right after a CHECKPOINT (env-manager/online-snapshot.ts: the copy reads the page cache, so fsync
// adds nothing, and the checkpoint flushes the WAL that synchronous_commit = off holds back); a
// crashed instance is thrown away, never recovered into a layer.
import { createHash } from "node:crypto";

/** The bootstrap superuser (never handed out; reached only through the instance's unix socket). */
export const ADMIN_ROLE = "sqlrunner_admin";
/** The user's own role: owns the default database, not a superuser (docs/security.md). */
export const USER_ROLE = "postgres";
export const USER_DATABASE = "postgres";
/** Admin sessions use template1 so a user who drops `postgres` cannot lock the platform out. */
export const ADMIN_DATABASE = "template1";
/** Every instance listens on a unix socket only; the number just names the socket file. */
export const SOCKET_PORT = 5432;

/** initdb flags that shape the data directory (part of the settings digest). */
export const INITDB_ARGS = [
  "--encoding=UTF8",
  "--locale=C",
  // 1 MB WAL segments instead of 16 MB: a snapshot copies far fewer bytes of WAL.
  "--wal-segsize=1",
  "--auth=scram-sha-256",
] as const;

/** Server settings written into postgresql.conf of the base cluster (part of the settings digest). */
export const SERVER_SETTINGS: Readonly<Record<string, string>> = {
  listen_addresses: "''",
  max_connections: "30",
  superuser_reserved_connections: "3",
  shared_buffers: "16MB",
  work_mem: "8MB",
  maintenance_work_mem: "32MB",
  // Quotas (docs/limits.md). temp_file_limit is superuser-only: user SQL cannot raise it, and a
  // runaway sort or recursive CTE fails with 53400 instead of filling the disk.
  temp_file_limit: "256MB",
  fsync: "off",
  synchronous_commit: "off",
  full_page_writes: "off",
  wal_level: "minimal",
  max_wal_senders: "0",
  min_wal_size: "2MB",
  max_wal_size: "256MB",
  checkpoint_timeout: "1d",
  // Background work would make layers differ run to run and steal CPU from the jobs.
  autovacuum: "off",
  jit: "off",
  io_method: "sync",
  max_worker_processes: "4",
  max_parallel_workers: "2",
  max_parallel_workers_per_gather: "0",
  huge_pages: "off",
  password_encryption: "'scram-sha-256'",
  logging_collector: "off",
  log_min_messages: "warning",
  log_timezone: "'UTC'",
  timezone: "'UTC'",
  lc_messages: "'C'",
  // Segments live in the data directory (tmpfs) and vanish with it, even after a SIGKILL.
  dynamic_shared_memory_type: "mmap",
};

/** Parameters the user's role may SET although PostgreSQL reserves them for superusers. */
export const USER_SETTABLE_SUPERUSER_PARAMETERS = ["lc_messages"] as const;

export const PG_HBA = [
  "# sql-runner instance: unix socket only, every role authenticates with SCRAM.",
  "# TYPE  DATABASE  USER  METHOD",
  "local   all       all   scram-sha-256",
  "",
].join("\n");

/** Settings that older servers do not know (major version that introduced them). */
const SINCE: Readonly<Record<string, number>> = { io_method: 18 };

export function serverSettings(major: number): [string, string][] {
  return Object.entries(SERVER_SETTINGS).filter(([k]) => major >= (SINCE[k] ?? 0));
}

/**
 * Attributes of the user's role. CREATEROLE only from PostgreSQL 16 on: before 16 a CREATEROLE role
 * may grant itself any non-superuser role, pg_execute_server_program included.
 */
export function userRoleAttributes(major: number): string {
  return major >= 16 ? "LOGIN CREATEDB CREATEROLE" : "LOGIN CREATEDB";
}

export function postgresqlConf(major: number): string {
  const lines = serverSettings(major).map(([k, v]) => `${k} = ${v}`);
  return `# Written by sql-runner's env-manager (infra/local-dev/postgres/settings.ts).\n${lines.join("\n")}\n`;
}

/** A short label for (initdb flags, server settings, hba, roles): base images are keyed by it. */
export function settingsDigest(major: number): string {
  const canonical = JSON.stringify({
    initdb: INITDB_ARGS,
    settings: serverSettings(major).sort(([a], [b]) => a.localeCompare(b)),
    hba: PG_HBA,
    roles: [ADMIN_ROLE, USER_ROLE, userRoleAttributes(major), USER_SETTABLE_SUPERUSER_PARAMETERS],
    // PostgreSQL 14 gets 15's public schema (version-gates.ts); newer digests stay as they were.
    ...(major < 15 ? { publicSchema: "pg_database_owner" } : {}),
    format: 1,
  });
  return `s-${createHash("sha256").update(canonical).digest("hex").slice(0, 16)}`;
}
