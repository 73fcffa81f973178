// Counts the writes made through a job object's SQLite handle, so a job view built from storage
// can be served again from memory until something changes (GET /v1/jobs/{id} polled every few ms
// while the job runs would otherwise re-read the job row, stages, events and result each time).
// Every statement that does not start with SELECT counts as a write: a false positive only costs a
// rebuild, a missed write would serve a stale view.

export interface CountedSql {
  /** The handle to give every reader and writer of this object's tables. */
  readonly sql: SqlStorage;
  /** Writes seen so far (only grows). */
  writes(): number;
  /** For storage changed around the handle (deleteAll). */
  bump(): void;
}

const READ = /^\s*SELECT\b/i;

export function countWrites(inner: SqlStorage): CountedSql {
  let writes = 0;
  const exec: SqlStorage["exec"] = (query, ...bindings) => {
    if (!READ.test(query)) writes++;
    return inner.exec(query, ...bindings);
  };
  const sql = new Proxy(inner, {
    get(target, prop) {
      if (prop === "exec") return exec;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return {
    sql,
    writes: () => writes,
    bump: () => {
      writes++;
    },
  };
}

/** One view kept per writes count: valid while nothing was written since it was built. */
export class ViewMemo<V> {
  #entry: { writes: number; owner: string; view: V } | null = null;
  readonly #counter: CountedSql;

  constructor(counter: CountedSql) {
    this.#counter = counter;
  }

  /** The view built for `owner` at the current writes count, or null. */
  get(owner: string): V | null {
    const e = this.#entry;
    return e && e.owner === owner && e.writes === this.#counter.writes() ? e.view : null;
  }

  /** Keeps `view`, read at writes count `writes` (taken before the reads). */
  put(owner: string, writes: number, view: V): void {
    if (writes === this.#counter.writes()) this.#entry = { writes, owner, view };
  }
}
