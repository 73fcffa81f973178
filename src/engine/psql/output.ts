// The psql text a head produces, capped: the input lines psql -a echoes (per file, as each line is
// read), results, messages. Past the cap the text stops growing and says it was cut.
import { lex } from "../lexer.ts";
import { LineIndex } from "../source-map.ts";

const QUOTED = new Set(["string", "dollar", "block_comment", "quoted_ident"]);

export class PsqlOutput {
  private parts: string[] = [];
  private size = 0;
  truncated = false;
  private readonly cursors = new Map<string, number>();
  private readonly indexes = new Map<string, LineIndex>();
  private readonly maxBytes: number;
  readonly files: (path: string) => string | undefined;

  /** `maxBytes` 0 keeps no text (nobody reads it); the file cursors still move. */
  constructor(maxBytes: number, files: (path: string) => string | undefined) {
    this.maxBytes = maxBytes;
    this.files = files;
  }

  /** Whether written text is kept (false: nobody reads it, so callers need not build it). */
  get keeps(): boolean {
    return this.maxBytes > 0 && !this.truncated;
  }

  write(text: string): void {
    if (this.truncated || text === "" || this.maxBytes === 0) return;
    if (this.size + text.length > this.maxBytes) {
      this.parts.push(text.slice(0, Math.max(0, this.maxBytes - this.size)));
      this.truncated = true;
      return;
    }
    this.size += text.length;
    this.parts.push(text);
  }

  /**
   * psql -a: echoes the lines of `file` up to and including the line that holds `offset - 1`
   * (with `write` false they are read without being echoed: ECHO is not `all`).
   */
  echoTo(file: string, offset: number, write = true): void {
    const text = this.files(file);
    if (text === undefined) return;
    const from = this.cursors.get(file) ?? 0;
    if (offset <= from) return;
    let end = text.indexOf("\n", Math.max(from, offset - 1));
    end = end < 0 ? text.length : end + 1;
    this.cursors.set(file, end);
    if (!write) return;
    // psql skips empty lines unless they are inside a quote or comment.
    let at = from;
    while (at < end) {
      let nl = text.indexOf("\n", at);
      if (nl < 0 || nl >= end) nl = end - 1;
      const line = text.slice(at, nl + 1);
      if (line !== "\n" || this.inQuote(file, text, at)) {
        this.write(line.endsWith("\n") ? line : `${line}\n`);
      }
      at = nl + 1;
    }
  }

  private readonly quoted = new Map<string, [number, number][]>();

  private inQuote(file: string, text: string, offset: number): boolean {
    let ranges = this.quoted.get(file);
    if (!ranges) {
      ranges = lex(text)
        .filter((t) => QUOTED.has(t.kind))
        .map((t) => [t.start, t.end] as [number, number]);
      this.quoted.set(file, ranges);
    }
    return ranges.some(([s, e]) => s < offset && offset < e);
  }

  /** Skips lines psql does not echo (COPY data read from the script). */
  skipTo(file: string, offset: number): void {
    const from = this.cursors.get(file) ?? 0;
    if (offset > from) this.cursors.set(file, offset);
  }

  /** 1-based line of an offset (psql's `psql:FILE:LINE:` prefix names the line being read). */
  lineOf(file: string, offset: number): number {
    let idx = this.indexes.get(file);
    if (!idx) {
      idx = new LineIndex(this.files(file) ?? "");
      this.indexes.set(file, idx);
    }
    return idx.locate(Math.max(0, offset - 1)).line;
  }

  text(): string {
    return this.parts.join("");
  }
}
