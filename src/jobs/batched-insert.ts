// Rows written to a Durable Object's SQLite in batches: one statement for many rows. Every
// `sql.exec` costs workerd native memory that only a later garbage collection gives back, and V8
// does not see it: 5,000 single-row INSERTs (or even 5,000 `SELECT ?`) took an idle workerd from
// 130 to 192 MB, while the same 5,000 rows sent 100 at a time through `json_each` added 3 MB. A
// head's 5,000 stored NOTICEs and a 60,000-row result were each tens of MB of a 128 MB isolate.
// A batch is one JSON array bound as a single parameter (a statement takes at most 100 bound
// parameters); a row too large to batch is written on its own, after the ones before it.

export type SqlValue = string | number | null;

/** Characters of JSON per batch: far below a bound value's 2 MB, few statements for many rows. */
export const MAX_BATCH_CHARS = 256 * 1024;

export class BatchedInsert {
  readonly #sql: SqlStorage;
  readonly #batchSql: string;
  readonly #rowSql: string;
  readonly #maxChars: number;
  #rows: string[] = [];
  #chars = 0;

  constructor(
    sql: SqlStorage,
    table: string,
    columns: readonly string[],
    maxChars = MAX_BATCH_CHARS,
  ) {
    this.#sql = sql;
    this.#maxChars = maxChars;
    const picks = columns.map((_, i) => `value->>${i}`).join(", ");
    this.#batchSql = `INSERT INTO ${table} (${columns.join(", ")}) SELECT ${picks} FROM json_each(?)`;
    this.#rowSql = `INSERT INTO ${table} (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`;
  }

  get pending(): number {
    return this.#rows.length;
  }

  /** Queues one row; writes the batch once it is full. */
  add(values: readonly SqlValue[]): void {
    const json = JSON.stringify(values);
    if (json.length > this.#maxChars / 4) {
      this.flush();
      this.#sql.exec(this.#rowSql, ...values);
      return;
    }
    if (this.#chars + json.length + 1 > this.#maxChars) this.flush();
    this.#rows.push(json);
    this.#chars += json.length + 1;
  }

  /** Writes every queued row (one statement). */
  flush(): void {
    if (this.#rows.length === 0) return;
    const batch = `[${this.#rows.join(",")}]`;
    this.#rows = [];
    this.#chars = 0;
    this.#sql.exec(this.#batchSql, batch);
  }
}
