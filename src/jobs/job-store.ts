// Typed access to one JobObject's SQLite storage: the job row, files (chunked: a SQLite row in a
// Durable Object holds at most 2 MB), numbered events, stages and the result. The job row's columns
// are defined once, in job-row.ts.
import { describeInternal, logLine } from "../telemetry/log.ts";
import { BatchedInsert } from "./batched-insert.ts";
import {
  decodeJobRow,
  insertJobRow,
  type JobPatch,
  type JobRow,
  type NewJob,
  updateJobRow,
} from "./job-row.ts";
import {
  type EventType,
  type JobEvent,
  type JobResult,
  type JobStatus,
  type ResultSet,
  roundMs,
  type Stage,
  type StageName,
} from "./model.ts";
import { notFound } from "./outcome.ts";
import { canTransition } from "./state-machine.ts";

/** Characters per stored chunk: 256 Ki UTF-16 units stay under the 2 MB row limit as UTF-8. */
const CHUNK = 256 * 1024;

/**
 * The one chunking of stored text (files and the result): at least one chunk, even for "". A cut
 * never falls inside a surrogate pair: SQLite stores UTF-8, where half a pair would be lost.
 */
export function chunksOf(text: string, size = CHUNK): string[] {
  const out: string[] = [];
  let at = 0;
  do {
    let end = Math.min(text.length, at + size);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && end - 1 > at && last >= 0xd800 && last <= 0xdbff) end--;
    out.push(text.slice(at, end));
    at = end;
  } while (at < text.length);
  return out;
}

export type { JobPatch, JobRow, NewJob } from "./job-row.ts";

type RawRow = Record<string, SqlStorageValue>;

export type StoredEntry = { content: string } | { etag: string };

/** The job if it exists and belongs to `user`; otherwise the same 404 as a job that never was. */
export function ownedJob(store: JobStore, user: string): JobRow {
  const job = store.job();
  if (!job || job.user_id !== user) throw notFound();
  return job;
}

export class JobStore {
  readonly sql: SqlStorage;
  /**
   * Called with events once they are written, in `seq` order (the live hub publishes them then,
   * so a subscriber never sees an event that is not stored).
   */
  onEventsStored: (events: JobEvent[]) => void = () => {};
  /** Events added and numbered but not written yet: one statement at the end of the turn. */
  readonly #eventRows: BatchedInsert;
  #queuedEvents: JobEvent[] = [];
  /** The next event's `seq` (read once from storage: a resumed object continues the count). */
  #nextSeq: number | null = null;

  constructor(sql: SqlStorage) {
    this.sql = sql;
    this.#eventRows = new BatchedInsert(sql, "events", ["seq", "type", "ts", "data"]);
  }

  job(): JobRow | null {
    const rows = this.sql.exec<RawRow>("SELECT * FROM job WHERE id = 1").toArray();
    return rows[0] ? decodeJobRow(rows[0]) : null;
  }

  insert(job: NewJob): void {
    const { sql, values } = insertJobRow(job);
    this.sql.exec(sql, ...values);
  }

  update(patch: JobPatch): void {
    const set = updateJobRow(patch);
    if (set) this.sql.exec(`UPDATE job SET ${set.sets} WHERE id = 1`, ...set.values);
  }

  /** Compare-and-set move of the status; false (and nothing written) when not allowed. */
  transition(to: JobStatus): boolean {
    const job = this.job();
    if (!job || !canTransition(job.status, to)) return false;
    const cursor = this.sql.exec(
      "UPDATE job SET status = ? WHERE id = 1 AND status = ?",
      to,
      job.status,
    );
    return cursor.rowsWritten > 0;
  }

  // --- parts and files -------------------------------------------------------------------------

  partDigest(part: number): string | null {
    const rows = this.sql
      .exec<{ digest: string }>("SELECT digest FROM parts WHERE part = ?", part)
      .toArray();
    return rows[0]?.digest ?? null;
  }

  addPart(part: number, digest: string): void {
    this.sql.exec("INSERT INTO parts (part, digest) VALUES (?, ?)", part, digest);
  }

  parts(): number[] {
    return this.sql
      .exec<{ part: number }>("SELECT part FROM parts ORDER BY part")
      .toArray()
      .map((r) => r.part);
  }

  /** Every distinct content digest (`sha256:<hex>`) the job's files have. */
  fileDigests(): string[] {
    return this.sql
      .exec<{ digest: string }>("SELECT DISTINCT digest FROM files")
      .toArray()
      .map((r) => r.digest);
  }

  fileDigest(path: string): string | null {
    const rows = this.sql
      .exec<{ digest: string }>("SELECT digest FROM files WHERE path = ?", path)
      .toArray();
    return rows[0]?.digest ?? null;
  }

  putFile(path: string, part: number, digest: string, entry: StoredEntry): void {
    if ("etag" in entry) {
      this.sql.exec(
        "INSERT INTO files (path, part, digest, etag, chunks) VALUES (?, ?, ?, ?, 0)",
        path,
        part,
        digest,
        entry.etag,
      );
      return;
    }
    const chunks = chunksOf(entry.content);
    this.sql.exec(
      "INSERT INTO files (path, part, digest, etag, chunks) VALUES (?, ?, ?, NULL, ?)",
      path,
      part,
      digest,
      chunks.length,
    );
    chunks.forEach((data, i) => {
      this.sql.exec("INSERT INTO file_chunks (path, idx, data) VALUES (?, ?, ?)", path, i, data);
    });
  }

  fileCount(): number {
    return Number(this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM files").one().n);
  }

  /** The stored project tree, in the planner's input form. */
  tree(): Record<string, StoredEntry> {
    const tree: Record<string, StoredEntry> = Object.create(null);
    const parts = new Map<string, string[]>();
    for (const row of this.sql.exec<{ path: string; data: string }>(
      "SELECT path, data FROM file_chunks ORDER BY path, idx",
    )) {
      const list = parts.get(row.path) ?? [];
      list.push(row.data);
      parts.set(row.path, list);
    }
    for (const row of this.sql.exec<{ path: string; etag: string | null }>(
      "SELECT path, etag FROM files",
    )) {
      tree[row.path] =
        row.etag !== null ? { etag: row.etag } : { content: (parts.get(row.path) ?? []).join("") };
    }
    return tree;
  }

  // --- events ----------------------------------------------------------------------------------

  /**
   * Numbers the event now and writes it with the others of this turn (a head's burst of NOTICEs
   * arrives as many events per socket read: one INSERT per event cost the isolate tens of MB).
   * Every read of events writes the queued ones first.
   */
  addEvent(type: EventType, data: Record<string, unknown>, now = Date.now()): JobEvent {
    this.#nextSeq ??= this.#storedLastSeq() + 1;
    const event: JobEvent = { seq: this.#nextSeq++, type, ts: new Date(now).toISOString(), data };
    this.#eventRows.add([event.seq, type, now, JSON.stringify(data)]);
    this.#queuedEvents.push(event);
    if (this.#queuedEvents.length === 1) queueMicrotask(() => this.#flushLater());
    return event;
  }

  /** The end-of-turn write has no caller to throw to: a failed write is logged, not thrown. */
  #flushLater(): void {
    try {
      this.flushEvents();
    } catch (err) {
      logLine("error", "events_not_written", describeInternal(err));
    }
  }

  /** Writes the queued events, then hands them to `onEventsStored`. */
  flushEvents(): void {
    if (this.#queuedEvents.length === 0) return;
    const events = this.#queuedEvents;
    this.#queuedEvents = [];
    this.#eventRows.flush();
    this.onEventsStored(events);
  }

  events(after: number, limit: number, type?: EventType): JobEvent[] {
    this.flushEvents();
    const rows = type
      ? this.sql
          .exec<RawRow>(
            "SELECT * FROM (SELECT * FROM events WHERE type = ? ORDER BY seq DESC LIMIT ?) ORDER BY seq",
            type,
            limit,
          )
          .toArray()
      : this.sql
          .exec<RawRow>("SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT ?", after, limit)
          .toArray();
    return rows.map((r) => ({
      seq: Number(r.seq),
      type: r.type as EventType,
      ts: new Date(Number(r.ts)).toISOString(),
      data: JSON.parse(String(r.data)) as Record<string, unknown>,
    }));
  }

  lastSeq(): number {
    this.flushEvents();
    return this.#nextSeq === null ? this.#storedLastSeq() : this.#nextSeq - 1;
  }

  /** Log events stored (where a resumed object's event budget starts). */
  countLogEvents(): number {
    this.flushEvents();
    return Number(
      this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM events WHERE type = 'log'").one().n,
    );
  }

  #storedLastSeq(): number {
    const row = this.sql.exec<{ s: number | null }>("SELECT MAX(seq) AS s FROM events").one();
    return Number(row.s ?? 0);
  }

  // --- stages ----------------------------------------------------------------------------------

  /** Opens a stage (or re-opens it: time accumulates, e.g. publishing at several boundaries). */
  openStage(name: StageName, now: number): void {
    const ord = Number(this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM stages").one().n);
    this.sql.exec(
      `INSERT INTO stages (name, ord, status, started_at, ms, open_at) VALUES (?, ?, 'running', ?, 0, ?)
       ON CONFLICT (name) DO UPDATE SET status = 'running', open_at = excluded.open_at`,
      name,
      ord,
      now,
      now,
    );
    this.update({ stage: name });
  }

  closeStage(name: StageName, ms: number): void {
    this.sql.exec(
      "UPDATE stages SET status = 'done', ms = ms + ?, open_at = NULL WHERE name = ?",
      ms,
      name,
    );
  }

  /** Closes every open stage at `now` (used when a job ends mid-stage). */
  closeOpenStages(now: number): void {
    this.sql.exec(
      "UPDATE stages SET status = 'done', ms = ms + MAX(0, ? - open_at), open_at = NULL WHERE open_at IS NOT NULL",
      now,
    );
  }

  stages(): Stage[] {
    return this.sql
      .exec<RawRow>("SELECT name, status, started_at, ms FROM stages ORDER BY ord")
      .toArray()
      .map((r) => ({
        name: r.name as StageName,
        status: r.status === "done" ? "done" : "running",
        started_at: new Date(Number(r.started_at)).toISOString(),
        ms: roundMs(Number(r.ms)),
      }));
  }

  // --- result ----------------------------------------------------------------------------------

  /** Forgets the result of an earlier attempt (a run booted again writes it anew). */
  clearResult(): void {
    this.sql.exec("DELETE FROM result_rows");
    this.sql.exec("DELETE FROM result_chunks");
  }

  /** Stores a set's rows from row number `first` on (a row's JSON in chunks of 256 Ki chars). */
  putResultRows(setId: number, first: number, rows: readonly (string | null)[][]): void {
    const insert = new BatchedInsert(this.sql, "result_rows", ["set_id", "row", "part", "data"]);
    rows.forEach((values, i) => {
      chunksOf(JSON.stringify(values)).forEach((data, part) => {
        insert.add([setId, first + i, part, data]);
      });
    });
    insert.flush();
  }

  /** A set's stored rows from row number `after` on, read lazily (stop iterating to stop reading). */
  *resultRows(setId: number, after: number, limit: number): Generator<(string | null)[]> {
    let row = -1;
    let parts: string[] = [];
    for (const r of this.sql.exec<{ row: number; data: string }>(
      "SELECT row, data FROM result_rows WHERE set_id = ? AND row >= ? AND row < ? ORDER BY row, part",
      setId,
      after,
      after + limit,
    )) {
      if (r.row !== row && parts.length > 0) {
        yield JSON.parse(parts.join("")) as (string | null)[];
        parts = [];
      }
      row = r.row;
      parts.push(r.data);
    }
    if (parts.length > 0) yield JSON.parse(parts.join("")) as (string | null)[];
  }

  putResult(result: JobResult): void {
    const text = JSON.stringify(result);
    this.sql.exec("DELETE FROM result_chunks");
    chunksOf(text).forEach((data, i) => {
      this.sql.exec("INSERT INTO result_chunks (idx, data) VALUES (?, ?)", i, data);
    });
  }

  result(): JobResult | null {
    const rows = this.sql
      .exec<{ data: string }>("SELECT data FROM result_chunks ORDER BY idx")
      .toArray();
    if (rows.length === 0) return null;
    const stored = JSON.parse(rows.map((r) => r.data).join("")) as JobResult | ResultSet[];
    // Results stored before heads reported errors and psql text were a bare list of sets.
    return Array.isArray(stored) ? { sets: stored } : stored;
  }
}
