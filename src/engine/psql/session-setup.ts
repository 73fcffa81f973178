// A head session's setup: the settings and seed (session.ts of the engine), then the facts psql's
// automatic variables come from (DBNAME, USER, SERVER_VERSION_NUM, ENCODING, ...), which
// applySetup turns into the variables along with the defaults psql starts with.
import { errorText } from "../error-text.ts";
import { ScriptError, type SourceLocation } from "../errors.ts";
import { sessionSetupSql } from "../session.ts";
import type { QueryOutcome } from "./exec-query.ts";
import type { ServerMessage } from "./messages.ts";

/** The setup query: the session settings, then one row of the server's facts. */
export function setupQuery(settings: Readonly<Record<string, string>>, seed: number): string {
  return `${sessionSetupSql(settings, seed)}; SELECT current_user, current_setting('server_version'), current_setting('server_version_num'), version(), current_setting('server_encoding')`;
}

/**
 * Sets psql's automatic variables from the setup's rows (the first statement's last value is the
 * database); returns the database. Throws when the setup failed.
 */
export function applySetup(
  vars: Map<string, string>,
  outcome: QueryOutcome,
  rows: (string | null)[][],
  at: SourceLocation,
): string {
  if (!outcome.ok) {
    const e = outcome.error;
    const db =
      typeof e === "object" && e !== null && typeof (e as ServerMessage).severity === "string";
    throw new ScriptError(
      db ? "sql_error" : "connection_error",
      `${at.file}:${at.line}:${at.column}: applying session settings: ${errorText(e)}`,
      at,
    );
  }
  const database = rows[0]?.at(-1) ?? "";
  const [user, version, versionNum, full, encoding] = rows[1] ?? [];
  const v = vars;
  v.set("DBNAME", database);
  if (user) v.set("USER", user);
  v.set("HOST", "localhost");
  v.set("PORT", "5432");
  v.set("ENCODING", encoding ?? "UTF8");
  if (version) v.set("SERVER_VERSION_NAME", version);
  if (versionNum) v.set("SERVER_VERSION_NUM", versionNum);
  if (full) v.set("VERSION", full);
  v.set("VERSION_NAME", "18.0");
  v.set("VERSION_NUM", "180000");
  for (const [k, d] of DEFAULTS) if (!v.has(k)) v.set(k, d);
  return database;
}

/** Variables psql sets at start-up that scripts test or print. */
const DEFAULTS: [string, string][] = [
  ["AUTOCOMMIT", "on"],
  ["ECHO", "none"],
  ["ECHO_HIDDEN", "off"],
  ["FETCH_COUNT", "0"],
  ["HIDE_TABLEAM", "off"],
  ["HIDE_TOAST_COMPRESSION", "off"],
  ["ON_ERROR_ROLLBACK", "off"],
  ["QUIET", "on"],
  ["SHOW_ALL_RESULTS", "on"],
  ["SHOW_CONTEXT", "errors"],
  ["VERBOSITY", "default"],
  ["LAST_ERROR_MESSAGE", ""],
  ["LAST_ERROR_SQLSTATE", "00000"],
];
