// One head's connection and psql state: sends each statement (or reads the replies of those sent
// ahead, pipeline.ts), prints its results and errors the way psql does, keeps the JSON result sets
// and error entries, and sets psql's automatic variables. The setup and its variables are in
// session-setup.ts, server errors in server-error.ts, \gset/\gexec in gset-gexec.ts, column type
// names in column-type-names.ts.

import type { Client } from "@neondatabase/serverless";
import { closeClient, connectAt, emptyStats, noticeEvent } from "../connection.ts";
import { ScriptError, type SourceLocation } from "../errors.ts";
import type { Expander } from "../expand.ts";
import { setMetaBytes } from "../result-budget.ts";
import type { ScriptStats } from "../types.ts";
import { type ConnectUnit, type CopyBlock, copyBlocks, type SqlUnit } from "../units.ts";
import { rowBytes } from "../utf8.ts";
import { resolveTypeNames } from "./column-type-names.ts";
import { crosstab } from "./crosstab.ts";
import {
  execQuery,
  outcomeOf,
  prepareQuery,
  type QueryCaps,
  type QueryOutcome,
  type QueryResultSet,
} from "./exec-query.ts";
import { gexec, gset } from "./gset-gexec.ts";
import {
  formatServerMessage,
  type ServerMessage,
  type ShowContext,
  type Verbosity,
} from "./messages.ts";
import type { HeadError, PsqlRunOptions } from "./options.ts";
import type { PsqlOutput } from "./output.ts";
import { type AheadEvent, type AheadQuery, arrived, sendPipelined } from "./pipeline.ts";
import { defaultPrintSettings, type PrintSettings } from "./print-settings.ts";
import { type PrintableResult, printResult } from "./print-table.ts";
import { type HeadResultSet, headResultSet, printable } from "./result-set.ts";
import { serverErrorReport } from "./server-error.ts";
import { applySetup, setupQuery } from "./session-setup.ts";

export class PsqlSession {
  client: Client | undefined;
  database = "";
  lineno = 0;
  stopped = false;
  stoppedBy: HeadError | undefined;
  readonly sets: HeadResultSet[] = [];
  readonly errors: HeadError[] = [];
  readonly stats: ScriptStats = emptyStats();
  print: PrintSettings = defaultPrintSettings();
  timing = false;
  /** The last query sent (`\g` with an empty buffer resends it, `\p` prints it). */
  lastQuery = "";
  private current: SourceLocation = { file: "", line: 0, column: 0 };
  /** The session setup, not yet sent: it rides in front of the first statements (pipeline.ts). */
  private pendingSetup: { text: string; at: SourceLocation } | undefined;
  /** The session setup, sent ahead and not yet read. */
  private setupAhead: { query: AheadQuery; at: SourceLocation } | undefined;
  /** Statements sent ahead, not yet reached by the script. */
  private readonly ahead = new Map<SqlUnit, AheadQuery>();
  /** The query sent ahead whose replies are arriving now (its notices are kept for later). */
  private receiving: AheadQuery | undefined;
  readonly opts: PsqlRunOptions;
  readonly exp: Expander;
  readonly out: PsqlOutput;
  readonly caps: QueryCaps;

  constructor(opts: PsqlRunOptions, exp: Expander, out: PsqlOutput, caps: QueryCaps) {
    this.opts = opts;
    this.exp = exp;
    this.out = out;
    this.caps = caps;
  }

  get vars(): Map<string, string> {
    return this.exp.vars;
  }

  checkAbort(at: SourceLocation): void {
    if (this.opts.signal?.aborted) {
      const where = { file: at.file, line: at.line, column: at.column };
      throw new ScriptError(
        "canceled",
        `${where.file}:${where.line}:${where.column}: script canceled`,
        where,
      );
    }
  }

  /** psql's `psql:FILE:LINE: ` prefix (only when the script is read as a named file). */
  prefix(): string {
    return this.opts.inputName === undefined ? "" : `psql:${this.opts.inputName}:${this.lineno}: `;
  }

  /**
   * Connects and sets the session up. With `deferSetup` the setup is only sent with the first
   * statements (one round trip for both); the caller makes sure they read no variable it sets.
   */
  async open(database: string | undefined, at: SourceLocation, deferSetup = false): Promise<void> {
    const next = await connectAt(this.opts.connect, database, at);
    await this.resolveTypeNames();
    await this.close();
    this.client = next;
    this.stats.connects++;
    next.on("notice", (n) => {
      if (this.receiving) arrived(this.receiving, { notice: n as unknown as ServerMessage });
      else this.notice(n as unknown as ServerMessage);
    });
    this.current = at;
    const setup = setupQuery(this.opts.settings, this.opts.seed);
    if (deferSetup) {
      this.pendingSetup = { text: setup, at };
      return;
    }
    const rows: (string | null)[][] = [];
    this.stats.round_trips++;
    const outcome = await execQuery(
      next,
      setup,
      () => undefined,
      this.caps,
      (r) => rows.push(r.rows[0] ?? []),
    );
    this.database = applySetup(this.vars, outcome, rows, at);
  }

  async reconnect(u: ConnectUnit): Promise<void> {
    try {
      await this.open(u.database ?? this.database, u);
      this.opts.onEvent?.({ kind: "connect", database: this.database, file: u.file, line: u.line });
    } catch (e) {
      if (!(e instanceof ScriptError)) throw e;
      this.report(e, `\\connect: ${e.message.replace(/^[^ ]+: /, "")}\n`);
      if (!this.client) this.stopped = true;
    }
  }

  private notice(n: ServerMessage): void {
    // libpq builds a notice's text as an error's, with the statement sent last as the query, so a
    // notice with a position gets the same `LINE n:` excerpt and cursor.
    const query = this.lastQuery === "" ? undefined : this.lastQuery;
    if (this.out.keeps) {
      this.out.write(
        this.prefix() + formatServerMessage(n, query, this.verbosity(), this.showContext(), false),
      );
    }
    this.opts.onEvent?.(noticeEvent(n, this.current));
  }

  verbosity(): Verbosity {
    const v = (this.vars.get("VERBOSITY") ?? "default").toLowerCase();
    return v === "terse" || v === "verbose" || v === "sqlstate" ? v : "default";
  }

  showContext(): ShowContext {
    const v = (this.vars.get("SHOW_CONTEXT") ?? "errors").toLowerCase();
    return v === "never" || v === "always" ? v : "errors";
  }

  /**
   * Sends `units` (plain statements, in script order, the first one about to run) and the pending
   * session setup in one round trip; `sql()` then reads each one's replies instead of sending it.
   */
  sendAhead(units: SqlUnit[]): void {
    const list: AheadQuery[] = [];
    const pending = this.pendingSetup;
    if (pending) {
      const setup: AheadQuery = { query: undefined!, events: [] };
      setup.query = prepareQuery(
        pending.text,
        () => undefined,
        this.caps,
        (r) => setup.events.push({ result: r }),
      );
      this.setupAhead = { query: setup, at: pending.at };
      this.pendingSetup = undefined;
      list.push(setup);
    }
    const caps = this.queryCaps();
    for (const u of units) {
      const a: AheadQuery = { query: undefined!, events: [] };
      a.query = prepareQuery(
        u.text,
        () => undefined,
        caps,
        (r) => arrived(a, { result: r }),
        undefined,
        (text) => arrived(a, { copyOut: text }),
      );
      this.ahead.set(u, a);
      list.push(a);
    }
    if (list.length === 0) return;
    this.stats.round_trips++;
    sendPipelined(
      this.client!,
      list.map((a) => a.query),
      (i) => {
        this.receiving = list[i];
      },
    );
  }

  get hasPendingSetup(): boolean {
    return this.pendingSetup !== undefined;
  }

  /** Whether statements sent ahead are still unread (nothing else may be sent meanwhile). */
  get pipelining(): boolean {
    return this.ahead.size > 0;
  }

  private queryCaps(): QueryCaps {
    return this.opts.resultBudget ? { ...this.caps, total: this.opts.resultBudget } : this.caps;
  }

  /** Reads the setup sent ahead (as open() would have), or sends it now if it is still pending. */
  private async finishSetup(): Promise<void> {
    if (this.pendingSetup) this.sendAhead([]);
    const s = this.setupAhead;
    if (!s) return;
    this.setupAhead = undefined;
    const outcome = await outcomeOf(s.query.query);
    const rows: (string | null)[][] = [];
    for (const e of s.query.events)
      if ("result" in e) rows.push(e.result.rows[0] ?? []);
      else if ("notice" in e) this.notice(e.notice);
    this.database = applySetup(this.vars, outcome, rows, s.at);
  }

  /** `\crosstabview`'s table, or "" after reporting why it cannot be made (psql's message). */
  private crosstabText(unit: SqlUnit, r: PrintableResult, print: PrintSettings): string {
    const pivoted = crosstab(r, unit.send?.args ?? [], print.null);
    if (typeof pivoted !== "string") return printResult(pivoted, print);
    this.metaError(unit, `\\crosstabview: ${pivoted}`);
    return "";
  }

  /** Runs one statement unit (with its `\g`-family command, if any). */
  async sql(unit: SqlUnit, print: PrintSettings = this.print): Promise<QueryResultSet[]> {
    this.current = unit;
    this.lastQuery = unit.text;
    const send = unit.send?.name;
    const shown = send === "gx" ? { ...print, expanded: "on" as const } : print;
    const results: QueryResultSet[] = [];
    const copies = copyBlocks(unit);
    let sentCopy: CopyBlock | undefined;
    await this.finishSetup();
    this.stats.batches++;
    const t0 = Date.now();
    // psql fetches the next result before it prints one (to know whether it is the last), so the
    // notices of statement i+1 of a `\;` query come out before the table of statement i.
    let held: string | undefined;
    const flush = () => {
      if (held !== undefined) this.out.write(held);
      held = undefined;
    };
    const onResult = (r: QueryResultSet) => {
      results.push(r);
      this.stats.statements++;
      const set = headResultSet(r, unit);
      if (this.keepSet(set)) {
        this.opts.onSet?.(set);
        this.sets.push(set);
      }
      flush();
      if (send === "gset" || send === "gexec") return;
      if (r.copyOut !== undefined || !r.tuples) return;
      if (send !== "crosstabview") held = printResult(printable(r), shown);
      else held = this.crosstabText(unit, printable(r), shown);
    };
    // COPY TO STDOUT is written as it arrives (HandleCopyResult), not held.
    const onCopyOut = (text: string) => {
      flush();
      if (send !== "gset" && send !== "gexec") this.out.write(text);
    };
    const ahead = this.ahead.get(unit);
    let outcome: QueryOutcome & { copyBytes: number };
    if (ahead) {
      // Sent ahead: what arrived so far is replayed now, the rest is handled as it arrives. A
      // handler's error is thrown here, after the query ended, as the replay would have thrown it.
      this.ahead.delete(unit);
      let failed: { error: unknown } | undefined;
      const handle = (e: AheadEvent) => {
        if (failed) return;
        try {
          if ("result" in e) onResult(e.result);
          else if ("copyOut" in e) onCopyOut(e.copyOut);
          else this.notice(e.notice);
        } catch (error) {
          failed = { error };
        }
      };
      for (const e of ahead.events.splice(0)) handle(e);
      ahead.live = handle;
      outcome = await outcomeOf(ahead.query);
      ahead.live = undefined;
      // The last one read: later notices belong to whatever runs next.
      if (this.ahead.size === 0) this.receiving = undefined;
      if (failed) throw failed.error;
    } else {
      this.stats.round_trips++;
      this.receiving = undefined;
      outcome = await execQuery(
        this.client!,
        unit.text,
        (i) => {
          // The server asked for the data: psql reads those lines as COPY data, not as SQL.
          const block = copies[i];
          if (block) this.exp.consumeCopy(block);
          sentCopy = block ?? sentCopy;
          return block?.data;
        },
        this.queryCaps(),
        onResult,
        this.opts.signal,
        onCopyOut,
      );
    }
    flush();
    this.stats.copy_bytes += outcome.copyBytes;
    if (this.timing) this.out.write(`Time: ${(Date.now() - t0).toFixed(3)} ms\n`);
    const last = results.at(-1);
    if (!outcome.ok) {
      const r = serverErrorReport(
        unit,
        results.length,
        outcome.error,
        this.exp.locate,
        this.vars,
        this.verbosity(),
        this.showContext(),
        sentCopy,
      );
      this.report(r.error, r.text);
      if (r.fatal) this.stopped = true;
      return results;
    }
    this.vars.set("ERROR", "false");
    this.vars.set("SQLSTATE", "00000");
    const count = last ? /(\d+)$/.exec(last.tag)?.[1] : undefined;
    this.vars.set("ROW_COUNT", count ?? "0");
    if (send === "gset" && last) {
      const err = gset(this.vars, unit, last);
      if (err) this.metaError(unit, err);
    }
    if (send === "gexec") {
      await gexec(
        unit,
        results,
        (q) => this.sql(q),
        () => this.stopped,
        (v) => {
          if (this.vars.get("ECHO") === "all") this.out.write(`${v}\n`);
        },
      );
    }
    return results;
  }

  /** Whether the job's set cap keeps `set`; a dropped set's rows go back to the row budget. */
  private keepSet(set: HeadResultSet): boolean {
    const budget = this.opts.viewBudget;
    if (!budget || budget.takeSet(setMetaBytes(set))) return true;
    if (this.opts.resultBudget)
      this.opts.resultBudget.giveBack(set.rows.reduce((n, row) => n + rowBytes(row), 0));
    return false;
  }

  /** A meta-command's error, printed as psql prints it (`\\cmd: message` on stderr). */
  metaError(at: SourceLocation, text: string, code = "script_error", quiet = false): void {
    const e = new ScriptError(
      code as "script_error",
      `${at.file}:${at.line}:${at.column}: ${text}`,
      at,
    );
    // Some of psql's errors are silent under -q (e.g. `\d NAME` finding nothing): recorded only.
    if (quiet) this.report(e, null);
    else this.reportClient(e, text);
  }

  /** psql's own errors: `psql:FILE:LINE: error: text` from a file, the bare text from stdin. */
  reportClient(e: ScriptError, text: string): void {
    this.report(e, `${this.opts.inputName === undefined ? "" : "error: "}${text}\n`);
  }

  /** Records an error; prints `text` (psql's message) after the prefix; stops under ON_ERROR_STOP. */
  report(e: ScriptError, text: string | undefined | null): void {
    const entry: HeadError = {
      code: e.code,
      message: e.message,
      file: e.file,
      line: e.line,
      column: e.column,
      set_index: this.sets.length,
    };
    for (const k of ["sqlstate", "detail", "hint", "where"] as const)
      if (e[k] !== undefined) entry[k] = e[k];
    // Past the job's error cap the entry is counted, not kept (it still prints and may stop).
    if (this.opts.viewBudget?.takeError() !== false) this.errors.push(entry);
    if (text !== null) this.out.write(this.prefix() + (text ?? `${e.message}\n`));
    const stop = this.vars.get("ON_ERROR_STOP");
    if (
      e.code === "canceled" ||
      e.code === "connection_error" ||
      (stop !== undefined && /^(on|t|true|y|yes|1)$/i.test(stop))
    ) {
      this.stopped = true;
      this.stoppedBy = entry;
    }
  }

  /** Names the `oid:N` column types of the sets so far (before a reconnect, and at the end). */
  async resolveTypeNames(): Promise<void> {
    const o = this.opts;
    await resolveTypeNames(
      this.sets,
      o.knownTypes,
      this.database,
      this.client,
      this.caps,
      this.stats,
    );
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    await closeClient(c);
  }
}
