// Expands a psql script into the units to run, with no I/O: lexes the entry file, follows `\i`/`\ir`
// through the file map (cycles detected), applies `\set`/`\unset`, `\if`/`\elif`/`\else`/`\endif`
// and `\restrict`, interpolates variables, cuts statements at psql's statement boundaries and
// attaches COPY inline data (the meta-commands themselves are in meta-script.ts). Everything psql
// would reject or that needs a shell or the local file system is a ScriptError at its file:line,
// raised before any SQL runs.

import { BranchStack } from "./conditionals.ts";
import { SCRIPT_ENV_DEFAULTS, serverCopyFromProject } from "./copy-file.ts";
import { copyPayload, lexCopyData } from "./copy-inline-data.ts";
import { ScriptError, type ScriptErrorCode, type SourceLocation } from "./errors.ts";
import { lex, lexTokens, type Token } from "./lexer.ts";
import { handleMeta, type MetaHost, type MetaOptions } from "./meta-script.ts";
import { normalizePath } from "./paths.ts";
import { splitMetaLine } from "./runtime-meta.ts";
import { LineIndex, type Locator } from "./source-map.ts";
import { StatementBuffer } from "./statement-buffer.ts";
import type { CopyBlock, SqlUnit, Unit } from "./units.ts";
import { quoteIdent, quoteLiteral } from "./variables.ts";

export interface ExpandOptions extends MetaOptions {
  /** Project path -> file text. Keys are normalized (`./a/../b.sql` finds `b.sql`). */
  files: ReadonlyMap<string, string>;
  entry: string;
  variables?: Readonly<Record<string, string>>;
  /**
   * The server's standard_conforming_strings as of now (the interpreter reads ParameterStatus);
   * asked as each literal is lexed. Without it literals are lexed as with it on.
   */
  standardStrings?: () => boolean;
}

/** A unit with where its last token ends (for psql -a's echo of input lines); no unit: a position. */
export interface Step {
  unit?: Unit;
  file: string;
  /** Offset just past the token that produced the unit (or the end of the file). */
  offset: number;
  /** Set when a meta-command changed ECHO: its value while the lines up to `offset` were read. */
  echo?: string;
}

export interface ExpandedScript {
  units: Unit[];
  /** Every file read, entry first, in the order first read. */
  files: string[];
  /** Maps a file offset to line:column. */
  locate: Locator;
}

export function expandScript(opts: ExpandOptions): ExpandedScript {
  return new Expander(opts).run();
}

export class Expander implements MetaHost {
  readonly files = new Map<string, string>();
  /** psql variables; the interpreter sets them between steps (\gset, ROW_COUNT, ...). */
  readonly vars = new Map<string, string>();
  readonly branches = new BranchStack();
  readonly units: Unit[] = [];
  private readonly visited: string[] = [];
  private readonly lineIndexes = new Map<string, LineIndex>();
  restrictKey: string | undefined;
  /** COPY FROM stdin blocks, in order, that the next copy_data tokens fill (expanding ahead). */
  private awaitingData: CopyBlock[] = [];
  /** End of the token being expanded (where a COPY's statement ends). */
  private tokenEnd = 0;
  /** `file:offset` of COPY data the server asked for (the interpreter's mode). */
  private readonly copiesRead = new Set<string>();
  /**
   * Statements on one line share the lines after it: where the data the server took for the
   * COPYs of the line starting at `origin` ends, so a later COPY of that line reads on from there.
   */
  private copyChain:
    | { file: string; origin: number; end: number; blocks: Set<CopyBlock> }
    | undefined;
  quit = false;

  readonly opts: ExpandOptions;

  constructor(opts: ExpandOptions) {
    this.opts = opts;
    for (const [k, v] of opts.files) {
      const key = normalizePath(k);
      if (key !== undefined) this.files.set(key, v);
    }
    for (const [k, v] of Object.entries(opts.variables ?? {})) this.vars.set(k, v);
  }

  run(): ExpandedScript {
    const units: Unit[] = [];
    for (const step of this.steps()) if (step.unit) units.push(step.unit);
    return { units, files: this.visited, locate: this.locate };
  }

  /** Expands lazily: variables set between steps are seen by the statements after them. */
  *steps(): Generator<Step> {
    const entry = normalizePath(this.opts.entry);
    const top = { file: this.opts.entry, line: 1, column: 1 };
    if (entry === undefined || !this.files.has(entry)) {
      this.fail("include_not_found", `script ${this.opts.entry} not found`, top);
    }
    yield* this.walkFile(entry, []);
  }

  /** The text of a project file (normalized path), for `\copy ... from 'file'`. */
  fileText(path: string): string | undefined {
    return this.files.get(path);
  }

  readonly locate: Locator = (file, offset) => {
    let idx = this.lineIndexes.get(file);
    if (!idx) {
      idx = new LineIndex(this.files.get(file) ?? "");
      this.lineIndexes.set(file, idx);
    }
    return { file, ...idx.locate(offset) };
  };

  private fail(code: ScriptErrorCode, message: string, at: SourceLocation): never {
    throw new ScriptError(code, `${at.file}:${at.line}: ${message}`, at);
  }

  private get active(): boolean {
    return this.branches.active;
  }

  private *walkFile(path: string, stack: string[]): Generator<Step> {
    if (!this.visited.includes(path)) this.visited.push(path);
    // A file walked again (included twice) starts its lines afresh.
    this.copyChain = undefined;
    const text = this.files.get(path) ?? "";
    const entryDepth = this.branches.depth;
    const buf = new StatementBuffer();
    // A COPY FROM stdin waits for its inline data (the next tokens) before it is yielded.
    let held: Step | undefined;
    const drain = function* (self: Expander, offset: number): Generator<Step> {
      if (self.units.length === 0) return;
      for (const unit of self.units.splice(0)) {
        if (held) yield held;
        held = undefined;
        const step = { unit, file: path, offset };
        if (unit.kind === "sql" && unit.copy?.data === "" && !unit.copy.at) held = step;
        else yield step;
      }
    };
    const gate = this.opts.runtime
      ? (start: number) => this.copiesRead.has(`${path}:${start}`)
      : undefined;
    for (const tok of lexTokens(text, gate, this.opts.standardStrings)) {
      const echo = this.vars.get("ECHO");
      const include = this.token(tok, path, buf, stack, entryDepth);
      // psql echoes a line as it reads it: the lines up to a `\set ECHO` follow the old value.
      if (this.vars.get("ECHO") !== echo) yield { file: path, offset: tok.end, echo: echo ?? "" };
      if (held && tok.kind !== "space" && tok.kind !== "line_comment") {
        yield held;
        held = undefined;
      }
      yield* drain(this, tok.end);
      if (include) {
        yield { file: path, offset: tok.end };
        yield* this.walkFile(include, [...stack, path]);
      }
      if (this.quit) {
        if (held) yield held;
        // psql -a has echoed the `\quit` line (and the lines before it) when it read them.
        yield { file: path, offset: tok.end };
        return;
      }
    }
    const unclosed = this.branches.unclosedSince(entryDepth);
    if (unclosed) this.fail("script_error", "reached end of file without \\endif", unclosed);
    this.flush(buf);
    yield* drain(this, text.length);
    if (held) yield held;
    yield { file: path, offset: text.length };
  }

  /** Handles one token; returns a file to include (walked by the caller). */
  private token(
    tok: Token,
    path: string,
    buf: StatementBuffer,
    stack: string[],
    entryDepth: number,
  ): string | undefined {
    this.tokenEnd = tok.end;
    if (tok.kind === "meta") {
      let include: string | undefined;
      for (const part of splitMetaLine(tok)) {
        include = handleMeta(this, part, path, buf, stack, entryDepth) ?? include;
        if (this.quit) break;
      }
      return include;
    }
    if (!this.active) return;
    switch (tok.kind) {
      case "copy_data": {
        // In the interpreter's mode the data was read ahead (attachCopies): nothing awaits it.
        const block = this.awaitingData.shift();
        if (block && block.file === path) {
          block.data = copyPayload(tok);
          block.line = this.locate(path, tok.start).line;
        }
        return;
      }
      case "variable": {
        const v = tok.variable!;
        if (v.form === "defined") {
          buf.append(tok, path, this.locate, this.vars.has(v.name) ? "TRUE" : "FALSE");
          return;
        }
        const value = this.vars.get(v.name);
        if (value === undefined) buf.append(tok, path, this.locate);
        else if (v.form === "literal") buf.append(tok, path, this.locate, quoteLiteral(value));
        else if (v.form === "ident") buf.append(tok, path, this.locate, quoteIdent(value));
        else this.interpolate(buf, tok, path, value);
        return;
      }
      case "semicolon":
        buf.append(tok, path, this.locate);
        this.flush(buf);
        return;
      case "escaped":
        buf.append(tok, path, this.locate, tok.text.slice(1));
        return;
      default:
        buf.append(tok, path, this.locate);
    }
  }

  /** A plain `:name` is lexed again as SQL, as psql does (its value may hold several statements). */
  private interpolate(buf: StatementBuffer, at: Token, path: string, value: string): void {
    for (const t of lex(value, this.opts.standardStrings)) {
      const kind =
        t.kind === "variable" || t.kind === "meta" || t.kind === "copy_data" ? "other" : t.kind;
      const piece: Token = { kind, start: at.start, end: at.end, text: t.text };
      buf.append(piece, path, this.locate, t.text);
      if (t.kind === "semicolon") this.flush(buf);
    }
  }

  flush(buf: StatementBuffer, send?: SqlUnit["send"]): void {
    if (buf.hasContent && buf.start && this.active) {
      const segs = buf.cut(this.files);
      const unit: SqlUnit = {
        kind: "sql",
        text: segs.length === 1 ? segs[0]!.text : segs.map((s) => s.text).join(""),
        segments: segs,
        file: buf.start.file,
        line: buf.start.line,
        column: buf.start.column,
        words: buf.words,
      };
      const parts = buf.parts();
      if (parts.statements > 1) unit.statements = parts.statements;
      if (parts.copiesFromStdin > 0) this.attachCopies(unit, parts.copiesFromStdin);
      else if (buf.words[0] === "copy") this.copyFromProject(unit);
      if (send) unit.send = send;
      this.units.push(unit);
    }
    buf.reset();
  }

  /**
   * The data blocks of a query's COPY FROM stdin statements (one per statement; `a \\; b` may hold
   * several). Expanding ahead of time, they are the next copy_data tokens'. In the interpreter's
   * mode each is read ahead, the first from the line after the statement and each next one after
   * the one before, and the lexer treats them as data only once the interpreter says the server
   * asked for it (consumeCopy).
   */
  private attachCopies(unit: SqlUnit, count: number): void {
    const blocks: CopyBlock[] = [];
    if (!this.opts.runtime) {
      for (let k = 0; k < count; k++) blocks.push({ data: "", file: unit.file, line: unit.line });
      this.awaitCopyData(blocks);
    } else {
      const text = this.files.get(unit.file) ?? "";
      const nl = text.indexOf("\n", this.tokenEnd);
      const origin = nl < 0 ? text.length : nl + 1;
      let chain = this.copyChain;
      if (chain?.file !== unit.file || chain.origin !== origin) {
        chain = this.copyChain = { file: unit.file, origin, end: origin, blocks: new Set() };
      }
      let start = chain.end;
      for (let k = 0; k < count; k++) {
        const end = lexCopyData(text, start);
        const data = copyPayload({ text: text.slice(start, end) });
        const line = this.locate(unit.file, start).line;
        const block = { data, file: unit.file, line, at: { start, end } };
        chain.blocks.add(block);
        blocks.push(block);
        start = end;
      }
    }
    unit.copy = blocks[0];
    if (blocks.length > 1) unit.moreCopies = blocks.slice(1);
  }

  /** The next copy_data tokens are the data of `blocks`, in order. */
  awaitCopyData(blocks: CopyBlock[]): void {
    this.awaitingData = [...blocks];
  }

  /** The server asked for `copy`'s data (read ahead): the lexer skips it as psql does. */
  consumeCopy(copy: CopyBlock): void {
    if (!copy.at) return;
    this.copiesRead.add(`${copy.file}:${copy.at.start}`);
    const chain = this.copyChain;
    if (chain?.blocks.has(copy)) chain.end = Math.max(chain.end, copy.at.end);
  }

  copyWasRead(copy: CopyBlock): boolean {
    return copy.at !== undefined && this.copiesRead.has(`${copy.file}:${copy.at.start}`);
  }

  /** `COPY t FROM '<PG_ABS_SRCDIR>/file'` reads the project file (see copy-file.ts). */
  private copyFromProject(unit: SqlUnit): void {
    const srcdir = this.opts.env?.PG_ABS_SRCDIR ?? SCRIPT_ENV_DEFAULTS.PG_ABS_SRCDIR!;
    const found = serverCopyFromProject(unit.text, srcdir, (p) => this.files.has(p));
    if (!found) return;
    const offset = unit.segments[0]?.offset ?? 0;
    unit.text = found.text;
    unit.segments = [{ text: found.text, file: unit.file, offset, verbatim: false }];
    unit.words = [...unit.words, "stdin"];
    unit.copy = { data: this.files.get(found.path) ?? "", file: found.path, line: 1 };
  }
}
