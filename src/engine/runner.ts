// The script engine's I/O shell: expands the script (pure), plans round trips (pure), then drives an
// `@neondatabase/serverless` Client: session defaults, batches, COPY data, `\c`, notices, results
// and errors mapped back to file:line:column. Every error is a ScriptError; the first one stops the
// script (psql's ON_ERROR_STOP).

import type { Client, Submittable } from "@neondatabase/serverless";
import { type BatchHandlers, BatchQuery } from "./batch-query.ts";
import { type BatchLimits, type BatchStep, canCarrySetup, planSteps } from "./batching.ts";
import { closeClient, connectAt, emptyStats, noticeEvent } from "./connection.ts";
import { copyDataLocation, locateFailure } from "./error-location.ts";
import { errorText } from "./error-text.ts";
import { ScriptError, type SourceLocation } from "./errors.ts";
import { expandScript } from "./expand.ts";
import { ResultBuilder } from "./result-builder.ts";
import { sessionSetupSql } from "./session.ts";
import type { Locator } from "./source-map.ts";
import type { ResultLimits, ResultSet, ScriptEvent, ScriptResult, ScriptStats } from "./types.ts";
import { type CopyBlock, copyBlocks, type SqlUnit } from "./units.ts";

export interface RunScriptOptions {
  /** Normalized project path -> file text; includes are looked up here. */
  files: ReadonlyMap<string, string>;
  /** Path of the file to run. */
  entry: string;
  variables?: Record<string, string>;
  /** What `\getenv` reads: the job's variables plus SCRIPT_ENV_DEFAULTS (see copy-file.ts). */
  env?: Record<string, string>;
  /** Session settings applied (set_config) before the script and after every `\c`. */
  settings: Record<string, string>;
  /** setseed() argument in [-1, 1] (see seedFromHash). */
  seed: number;
  /** Opens a Client to the instance; `database` for `\c` (undefined: the instance's default). */
  connect: (database?: string) => Promise<Client>;
  /** Database to start in (default: what `connect()` gives). */
  database?: string;
  limits?: ResultLimits;
  batching?: BatchLimits;
  onEvent?: (e: ScriptEvent) => void;
  /** Stops sending; the caller cancels a running query server-side. */
  signal?: AbortSignal;
  /** Collect result sets (the head step); tail steps only need success. */
  collectResults?: boolean;
  /**
   * Type names already known for one database (oid -> typname, e.g. the layer's user types that
   * env-manager read at boot): columns of these types need no pg_type round trip there.
   */
  knownTypes?: { database: string; names: Readonly<Record<string, string>> };
}

interface DbError {
  message: string;
  code?: string;
  severity?: string;
  position?: string;
  detail?: string;
  hint?: string;
  where?: string;
}

function isDbError(e: unknown): e is DbError {
  // DatabaseError and notices carry a severity; socket errors (with a `code` like ECONNRESET) do not.
  return typeof e === "object" && e !== null && typeof (e as DbError).severity === "string";
}

/** Runs a psql script. Resolves with the results, or rejects with a ScriptError. */
export async function runScript(opts: RunScriptOptions): Promise<ScriptResult> {
  const started = Date.now();
  const { units, locate } = expandScript({
    files: opts.files,
    entry: opts.entry,
    ...(opts.variables ? { variables: opts.variables } : {}),
    ...(opts.env ? { env: opts.env } : {}),
  });
  const steps = planSteps(units, opts.batching);
  const run = new Run(opts, locate);
  run.total = units.filter((u) => u.kind === "sql").length;
  const entryLoc = { file: opts.entry, line: 1, column: 1 };
  try {
    run.checkAbort(entryLoc);
    // The session setup rides in front of the first batch when that is safe (one round trip less).
    await run.open(opts.database, entryLoc, canCarrySetup(steps[0], opts.settings));
    for (const step of steps) {
      run.checkAbort(step.kind === "connect" ? step.unit : (step.items[0] ?? entryLoc));
      if (step.kind === "connect") {
        const u = step.unit;
        await run.open(u.database ?? run.database, {
          file: u.file,
          line: u.line,
          column: u.column,
        });
        opts.onEvent?.({ kind: "connect", database: run.database, file: u.file, line: u.line });
      } else {
        await run.batch(step);
      }
    }
    await run.resolveTypeNames();
    run.stats.elapsed_ms = Date.now() - started;
    return { sets: run.sets, database: run.database, stats: run.stats };
  } finally {
    // The Terminate message goes out now; waiting for the socket to close would only add a round
    // trip before the caller sees the result.
    void run.close();
  }
}

class Run {
  client: Client | undefined;
  database = "";
  total = 0;
  readonly sets: ResultSet[] = [];
  readonly stats: ScriptStats = emptyStats();
  /** Session setup deferred by `open(..., carry)` to ride in front of the next batch. */
  private pendingSetup: { text: string; at: SourceLocation } | null = null;
  /** Sets of the current connection whose columns still carry `oid:N` types. */
  private untyped: ResultSet[] = [];
  /** Where notices are attributed: the statement running now. */
  private current: SourceLocation = { file: "", line: 0, column: 0 };
  private readonly opts: RunScriptOptions;
  private readonly locate: Locator;

  constructor(opts: RunScriptOptions, locate: Locator) {
    this.opts = opts;
    this.locate = locate;
  }

  checkAbort(at: SourceLocation): void {
    if (this.opts.signal?.aborted) {
      const where = { file: at.file, line: at.line, column: at.column };
      throw new ScriptError("canceled", `${fmt(where)}: script canceled`, where);
    }
  }

  /** (Re)connects, applies the session settings and learns the database name. */
  async open(database: string | undefined, at: SourceLocation, carry = false): Promise<void> {
    await this.resolveTypeNames();
    const next = await connectAt(this.opts.connect, database, at);
    await this.close();
    this.client = next;
    this.stats.connects++;
    next.on("notice", (notice) => {
      this.opts.onEvent?.(noticeEvent(notice as unknown as DbError, this.current));
    });
    this.current = at;
    const setup = sessionSetupSql(this.opts.settings, this.opts.seed);
    if (carry) {
      this.pendingSetup = { text: setup, at };
      return;
    }
    let db = "";
    const outcome = await this.send(setup, {
      ...IGNORE,
      dataRow: (values) => {
        db = values.at(-1) ?? "";
      },
    });
    if (!outcome.ok) throw setupFailure(at, outcome.error);
    this.database = db;
  }

  async batch(step: BatchStep): Promise<void> {
    const { collectResults, limits, onEvent } = this.opts;
    let completed = 0;
    // CommandCompletes of the current unit so far, and the COPY data blocks it was sent.
    let partsDone = 0;
    let copiesSent = 0;
    let sentCopy: CopyBlock | undefined;
    let itemIndex = 0;
    const builder = new ResultBuilder(limits?.maxRows, limits?.maxBytes);
    let partialLine = "";
    const decoder = new TextDecoder();
    const emitEchoes = () => {
      while (itemIndex < step.items.length) {
        const item = step.items[itemIndex]!;
        if (item.kind === "sql") {
          this.current = item;
          return;
        }
        onEvent?.({
          kind: "log",
          command: item.command,
          text: item.text,
          file: item.file,
          line: item.line,
        });
        itemIndex++;
      }
    };
    emitEchoes();
    if (step.statements.length === 0) return;
    // A setup carried in front of this batch: its row and CommandComplete come first.
    const setup = this.pendingSetup;
    this.pendingSetup = null;
    let inSetup = setup !== null;
    const prefix = setup ? `${setup.text};\n` : "";
    const handlers: BatchHandlers = {
      rowDescription: (fields) => !inSetup && collectResults && builder.describe(fields),
      dataRow: (values) => {
        if (inSetup) this.database = values.at(-1) ?? "";
        else if (collectResults) builder.add(values);
      },
      commandComplete: (tag) => {
        if (inSetup) {
          inSetup = false;
          return;
        }
        const stmt = step.statements[Math.min(completed, step.statements.length - 1)]!;
        if (collectResults) {
          if (partialLine) builder.copyOutLine(partialLine);
          partialLine = "";
          const set = builder.finish(tag, stmt.file, stmt.line);
          this.sets.push(set);
          if (set.columns.some((c) => c.type.startsWith("oid:"))) this.untyped.push(set);
        }
        // `a \; b` is one unit of several statements: it is done at its last CommandComplete.
        if (++partsDone < (stmt.statements ?? 1)) return;
        partsDone = 0;
        copiesSent = 0;
        sentCopy = undefined;
        completed++;
        itemIndex++;
        onEvent?.({
          kind: "progress",
          statements_done: this.stats.statements + completed,
          statements_total: this.total,
          file: stmt.file,
          line: stmt.line,
        });
        emitEchoes();
      },
      copyIn: () => {
        const stmt = step.statements[completed];
        sentCopy = stmt && copyBlocks(stmt)[copiesSent++];
        return sentCopy?.data;
      },
      copyOut: (chunk) => {
        if (!collectResults) return;
        const lines = (partialLine + decoder.decode(chunk, { stream: true })).split("\n");
        partialLine = lines.pop() ?? "";
        for (const l of lines) builder.copyOutLine(l);
      },
    };
    const outcome = await this.send(prefix + step.text, handlers, (q) => {
      this.stats.copy_bytes += q.copyBytes;
    });
    this.stats.batches++;
    this.stats.statements += completed;
    if (outcome.ok) return;
    // Server positions count code points of the whole query text, the carried setup included.
    const shift = [...prefix].length;
    const e = outcome.error;
    // The server parses the whole text first: a syntax error in the batch arrives before the
    // setup ran, with a position past the setup's text.
    const inBatch = isDbError(e) && e.position !== undefined && Number(e.position) > shift;
    if (setup && inSetup && !inBatch) {
      // A cancel can land while the carried setup still runs (it is the same query message).
      if (this.opts.signal?.aborted) throw this.failure(step, completed, e, shift);
      throw setupFailure(setup.at, e);
    }
    throw this.failure(step, completed, e, shift, sentCopy);
  }

  private failure(
    step: BatchStep,
    completed: number,
    e: unknown,
    shift = 0,
    copy?: CopyBlock,
  ): ScriptError {
    const position = isDbError(e) && e.position ? Number(e.position) - shift : undefined;
    const site = locateFailure(step, completed, position, this.locate);
    const stmt: SqlUnit = site?.statement ?? step.statements[0]!;
    const where: SourceLocation = site?.location ?? stmt;
    if (this.opts.signal?.aborted) {
      return new ScriptError("canceled", `${fmt(where)}: script canceled`, where);
    }
    if (!isDbError(e)) {
      return new ScriptError("connection_error", `${fmt(where)}: ${msg(e)}`, where);
    }
    const at = copyDataLocation(copy ?? stmt.copy, e.where) ?? where;
    return new ScriptError("sql_error", `${fmt(at)}: ${e.severity ?? "ERROR"}: ${e.message}`, {
      ...at,
      ...dbFields(e),
    });
  }

  /** Replaces `oid:N` column types with pg_type names, one query per connection. */
  async resolveTypeNames(): Promise<void> {
    const sets = this.untyped;
    this.untyped = [];
    if (sets.length === 0 || !this.client) return;
    const known = this.opts.knownTypes;
    const names = new Map<string, string>();
    if (known && known.database === this.database) {
      for (const [oid, name] of Object.entries(known.names)) names.set(oid, name);
    }
    const oids = new Set<string>();
    for (const s of sets) {
      for (const c of s.columns) {
        if (c.type.startsWith("oid:") && !names.has(c.type.slice(4))) oids.add(c.type.slice(4));
      }
    }
    const outcome =
      oids.size === 0
        ? { ok: true as const }
        : await this.send(
            `SELECT oid::text, typname::text FROM pg_catalog.pg_type WHERE oid IN (${[...oids].join(",")})`,
            { ...IGNORE, dataRow: ([oid, name]) => oid && name && names.set(oid, name) },
          );
    if (!outcome.ok) return;
    for (const s of sets) {
      for (const c of s.columns) {
        if (c.type.startsWith("oid:")) c.type = names.get(c.type.slice(4)) ?? c.type;
      }
    }
  }

  private async send(text: string, handlers: BatchHandlers, after?: (q: BatchQuery) => void) {
    const q = new BatchQuery(text, handlers, this.opts.signal);
    this.stats.round_trips++;
    this.client!.query(q as unknown as Submittable);
    const outcome = await q.done;
    after?.(q);
    return outcome;
  }

  /**
   * Ends the connection. Its notices stop reaching the event sink first: the script is over, and
   * the caller may already drop the instance (a backend killed by the shutdown says so in a
   * FATAL notice, which must not become an event after the job's last one).
   */
  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    await closeClient(c);
  }
}

const IGNORE: BatchHandlers = {
  rowDescription: () => {},
  dataRow: () => {},
  commandComplete: () => {},
  copyIn: () => undefined,
  copyOut: () => {},
};

function setupFailure(at: SourceLocation, e: unknown): ScriptError {
  // With a pipelined connect the server's refusal of the session (unknown database, wrong
  // password: a FATAL error) arrives as the answer to the first query, the setup.
  if (isDbError(e) && e.severity === "FATAL") {
    return new ScriptError("connection_error", `${fmt(at)}: cannot connect: ${msg(e)}`, {
      ...at,
      ...dbFields(e),
    });
  }
  return new ScriptError(
    isDbError(e) ? "sql_error" : "connection_error",
    `${fmt(at)}: applying session settings: ${msg(e)}`,
    { ...at, ...dbFields(e) },
  );
}

function fmt(at: SourceLocation): string {
  return `${at.file}:${at.line}:${at.column}`;
}

function msg(e: unknown): string {
  return errorText(e);
}

function dbFields(e: unknown): {
  sqlstate?: string;
  detail?: string;
  hint?: string;
  where?: string;
} {
  if (!isDbError(e)) return {};
  const out: { sqlstate?: string; detail?: string; hint?: string; where?: string } = {};
  if (e.code) out.sqlstate = e.code;
  if (e.detail) out.detail = e.detail;
  if (e.hint) out.hint = e.hint;
  if (e.where) out.where = e.where;
  return out;
}
