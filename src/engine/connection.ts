// What the two session kinds (the tail's script runner, runner.ts, and a head's psql session,
// psql/session.ts) share about their connection: opening one with a located error, turning a
// server NOTICE into an event at the statement running now, closing it quietly, and the zeroed
// counters a run starts with.

import type { Client } from "@neondatabase/serverless";
import { errorText } from "./error-text.ts";
import { ScriptError, type SourceLocation } from "./errors.ts";
import type { ScriptEvent, ScriptStats } from "./types.ts";

export function emptyStats(): ScriptStats {
  return { statements: 0, batches: 0, round_trips: 0, connects: 0, copy_bytes: 0, elapsed_ms: 0 };
}

/** Connects to `database` (undefined: the instance's own); a failure names it at `at`. */
export async function connectAt(
  connect: (database: string | undefined) => Promise<Client>,
  database: string | undefined,
  at: SourceLocation,
): Promise<Client> {
  try {
    return await connect(database);
  } catch (e) {
    const what = database === undefined ? "the instance" : `database "${database}"`;
    throw new ScriptError(
      "connection_error",
      `${at.file}:${at.line}:${at.column}: cannot connect to ${what}: ${errorText(e)}`,
      at,
    );
  }
}

/** The fields of a server notice both session kinds read. */
export interface NoticeFields {
  severity?: string;
  message: string;
  code?: string;
  detail?: string;
  hint?: string;
}

/** A server notice as a job event, attributed to the statement running now. */
export function noticeEvent(n: NoticeFields, at: SourceLocation): ScriptEvent {
  const event: ScriptEvent = {
    kind: "notice",
    severity: n.severity ?? "NOTICE",
    message: n.message,
    file: at.file,
    line: at.line,
  };
  if (n.code) event.sqlstate = n.code;
  if (n.detail) event.detail = n.detail;
  if (n.hint) event.hint = n.hint;
  return event;
}

/** Ends a connection; its late notices (a FATAL at shutdown) are no longer heard. */
export async function closeClient(c: Client | undefined): Promise<void> {
  if (!c) return;
  c.removeAllListeners("notice");
  await c.end().catch(() => {});
}
