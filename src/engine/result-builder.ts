// Collects one statement's result set under the row and byte caps.
import type { FieldDescription } from "./batch-query.ts";
import { BUILTIN_TYPE_NAMES } from "./type-names.ts";
import type { ResultSet } from "./types.ts";
import { rowBytes } from "./utf8.ts";

export const DEFAULT_MAX_ROWS = 10_000;
export const DEFAULT_MAX_BYTES = 8 * 1024 * 1024;

/** Splits `INSERT 0 3` into command `INSERT` and count 3; `CREATE TABLE` has no count. */
export function parseTag(tag: string): { command: string; count: number | undefined } {
  const m = /^(.*?)((?: \d+)+)$/.exec(tag);
  if (!m) return { command: tag, count: undefined };
  const nums = m[2]!.trim().split(" ");
  return { command: m[1]!, count: Number(nums.at(-1)) };
}

export class ResultBuilder {
  private fields: FieldDescription[] = [];
  private rows: (string | null)[][] = [];
  private bytes = 0;
  private truncated = false;
  private readonly maxRows: number;
  private readonly maxBytes: number;

  constructor(maxRows = DEFAULT_MAX_ROWS, maxBytes = DEFAULT_MAX_BYTES) {
    this.maxRows = maxRows;
    this.maxBytes = maxBytes;
  }

  describe(fields: FieldDescription[]): void {
    this.fields = fields;
  }

  /** COPY ... TO STDOUT output becomes a one-column result of its lines. */
  copyOutLine(line: string): void {
    if (this.fields.length === 0) this.fields = [{ name: "COPY", dataTypeID: 25 }];
    this.add([line]);
  }

  add(values: (string | null)[]): void {
    if (this.truncated) return;
    if (this.rows.length >= this.maxRows) {
      this.truncated = true;
      return;
    }
    const size = rowBytes(values);
    if (this.bytes + size > this.maxBytes) {
      this.truncated = true;
      return;
    }
    this.bytes += size;
    this.rows.push(values);
  }

  finish(tag: string, file: string, line: number): ResultSet {
    const { command, count } = parseTag(tag);
    const set: ResultSet = {
      command,
      tag,
      columns: this.fields.map((f) => ({
        name: f.name,
        type: BUILTIN_TYPE_NAMES.get(f.dataTypeID) ?? `oid:${f.dataTypeID}`,
      })),
      rows: this.rows,
      row_count: count ?? this.rows.length,
      truncated: this.truncated,
      file,
      line,
    };
    this.fields = [];
    this.rows = [];
    this.bytes = 0;
    this.truncated = false;
    return set;
  }
}
