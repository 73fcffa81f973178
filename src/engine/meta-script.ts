// The meta-commands the expander handles itself, one backslash command at a time: conditionals,
// variables, includes, `\restrict`, `\echo`, `\c`, `\copy`, `\q`; in the interpreter's mode the
// ones that need the server or the output become `meta` units. Kept apart from expand.ts so that
// file is the token walk only; the walk's state is reached through MetaHost.

import type { BranchStack } from "./conditionals.ts";
import { connectTarget } from "./connect-target.ts";
import { copyMetaReadsScript, copyMetaUnit } from "./copy-meta.ts";
import { ScriptError, type ScriptErrorCode, type SourceLocation } from "./errors.ts";
import { INCLUDE_META, includeTarget } from "./includes.ts";
import type { Token } from "./lexer.ts";
import { MetaArgError, parseMetaArgs, splitMeta } from "./meta-args.ts";
import { applyVariableMeta, VARIABLE_META } from "./meta-variables.ts";
import { isRuntimeMeta, isSendMeta } from "./runtime-meta.ts";
import type { Locator } from "./source-map.ts";
import type { StatementBuffer } from "./statement-buffer.ts";
import type { CopyBlock, SqlUnit, Unit } from "./units.ts";
import { parseBool } from "./variables.ts";

/** The expander's options the meta-commands read. */
export interface MetaOptions {
  /** Nesting limit for includes (psql has none; a runaway include chain is a script error). */
  maxIncludeDepth?: number;
  /**
   * The interpreter's mode: meta-commands that need the server or the output (`\gset`, `\pset`,
   * `\d`, ...) become `meta` units (or a statement's `send`) instead of `unsupported_command`.
   */
  runtime?: boolean;
  /** Errors psql reports and goes on after (the interpreter prints them); without it they throw. */
  onSoftError?: (e: ScriptError, psqlText: string) => void;
  /** What `\\getenv` reads (the job's variables plus SCRIPT_ENV_DEFAULTS). */
  env?: Readonly<Record<string, string>>;
}

/** The walk's state a meta-command reads and changes. */
export interface MetaHost {
  readonly opts: MetaOptions;
  readonly vars: Map<string, string>;
  readonly branches: BranchStack;
  /** Units produced by the current token (the walk drains them). */
  readonly units: Unit[];
  restrictKey: string | undefined;
  quit: boolean;
  readonly locate: Locator;
  /** Project path (normalized) -> file text. */
  readonly files: ReadonlyMap<string, string>;
  /** Cuts the buffered statement into a unit (with the `\g`-family command that sends it). */
  flush(buf: StatementBuffer, send?: SqlUnit["send"]): void;
  /** The next copy_data tokens are the data of `blocks`, in order. */
  awaitCopyData(blocks: CopyBlock[]): void;
}

function fail(code: ScriptErrorCode, message: string, at: SourceLocation): never {
  throw new ScriptError(code, `${at.file}:${at.line}: ${message}`, at);
}

/** Handles one meta-command; returns a file to include (walked by the caller). */
export function handleMeta(
  host: MetaHost,
  tok: Token,
  path: string,
  buf: StatementBuffer,
  stack: string[],
  entryDepth: number,
): string | undefined {
  const where = host.locate(path, tok.start);
  const { name, rest } = splitMeta(tok.text);
  const args = (): string[] => {
    try {
      return parseMetaArgs(rest, (v) => host.vars.get(v));
    } catch (e) {
      if (e instanceof MetaArgError) fail("unsupported_command", e.message, where);
      throw e;
    }
  };
  const stripSemis = (s: string) => s.replace(/;+$/, "");

  const isConditional = host.branches.handle(
    name,
    where,
    entryDepth,
    () => condition(host.opts, args(), where, `\\${name}`),
    (message) => fail("script_error", message, where),
  );
  if (isConditional) return;
  if (!host.branches.active) return;

  if (host.restrictKey !== undefined && name !== "unrestrict") {
    fail("script_error", `\\${name}: not allowed in restricted mode (\\restrict)`, where);
  }
  const failHere = (code: ScriptErrorCode, message: string): never => fail(code, message, where);
  if (VARIABLE_META.has(name)) {
    applyVariableMeta(name, args(), { vars: host.vars, env: host.opts.env, fail: failHere });
    return;
  }
  if (INCLUDE_META.has(name)) {
    const [target] = args().map(stripSemis);
    return includeTarget(name, target, {
      path,
      stack,
      hasFile: (f) => host.files.has(f),
      maxDepth: host.opts.maxIncludeDepth ?? 32,
      fail: failHere,
    });
  }
  switch (name) {
    case "restrict": {
      const [key] = args();
      if (!key) fail("script_error", "\\restrict: missing required argument", where);
      host.restrictKey = key;
      return;
    }
    case "unrestrict": {
      const [key] = args();
      if (host.restrictKey === undefined || key !== host.restrictKey) {
        fail("script_error", "\\unrestrict: key does not match \\restrict", where);
      }
      host.restrictKey = undefined;
      return;
    }
    case "echo":
    case "qecho":
    case "warn": {
      const a = args();
      const noNewline = a[0] === "-n";
      host.units.push({
        kind: "echo",
        command: name,
        text: (noNewline ? a.slice(1) : a).join(" "),
        ...where,
      });
      return;
    }
    case "c":
    case "connect": {
      const database = connectTarget(args().map(stripSemis));
      if (database === null) {
        fail(
          "unsupported_command",
          `\\${name}: only a database of the same instance is supported (name or "dbname=...")`,
          where,
        );
      }
      host.units.push({ kind: "connect", database, ...where });
      return;
    }
    case "copy": {
      const unit = copyMetaUnit(rest, path, tok.start, where, (f) => host.files.get(f));
      if (typeof unit === "string") fail("unsupported_command", unit, where);
      // `\copy ... from stdin`: its rows are the script's, whatever the mode.
      if (unit.copy && copyMetaReadsScript(rest)) host.awaitCopyData([unit.copy]);
      host.units.push(unit);
      return;
    }
    case "q":
    case "quit":
      host.flush(buf);
      host.quit = true;
      return;
  }
  const runtime = host.opts.runtime;
  if (runtime && isSendMeta(name)) {
    // `\g`-family: the query buffer is sent with this command (an empty buffer: psql resends
    // the previous query, which the interpreter knows).
    const send = { name, args: args() };
    if (buf.hasContent) host.flush(buf, send);
    else {
      buf.reset();
      host.units.push({ kind: "meta", name, args: send.args, rest, buffer: "", ...where });
    }
    return;
  }
  if (runtime && isRuntimeMeta(name)) {
    const buffer = buf.text(host.files);
    if (name === "r" || name === "reset") buf.reset();
    host.units.push({ kind: "meta", name, args: args(), rest, buffer, ...where });
    return;
  }
  if (runtime) {
    // The interpreter reports it where it stands (psql: "invalid command").
    host.units.push({ kind: "meta", name, args: [], rest, buffer: "", ...where });
    return;
  }
  fail("unsupported_command", `\\${name}: meta-command not supported`, where);
}

function condition(
  opts: MetaOptions,
  args: string[],
  where: SourceLocation,
  what: string,
): boolean {
  const expr = args.join(" ");
  const value = parseBool(expr);
  if (value === undefined) {
    if (opts.onSoftError) {
      // psql reports it and takes the branch as false.
      const text = `unrecognized value "${expr}" for "${what} expression": Boolean expected`;
      opts.onSoftError(
        new ScriptError("script_error", `${where.file}:${where.line}: ${text}`, where),
        text,
      );
      return false;
    }
    fail("script_error", `${what}: "${expr}" is not a boolean`, where);
  }
  return value;
}
