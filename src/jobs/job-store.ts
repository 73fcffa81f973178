// Typed access to one JobObject's SQLite storage: the job row, files (chunked: a SQLite row in a
// Durable Object holds at most 2 MB), numbered events, stages and the result.
import {
  type EventType,
  type HeadOptions,
  type JobError,
  type JobEvent,
  type JobResult,
  type JobStatus,
  type ResultSet,
  roundMs,
  type SnapshotInfo,
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

export interface JobRow {
  job_id: string;
  user_id: string;
  request_id: string;
  body_digest: string;
  mode: "short" | "long";
  status: JobStatus;
  stage: StageName | null;
  head_path: string | null;
  variables: Record<string, string>;
  snapshot_ttl: number;
  job_ttl: number;
  timeout_ms: number;
  telemetry: Record<string, string>;
  run_digest: string | null;
  run_requested: boolean;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  expires_at: number;
  attempts: number;
  retries: number;
  instance_id: string | null;
  snapshot: SnapshotInfo | null;
  error: JobError | null;
  cache_hit: boolean | null;
  carried_steps: number;
  /** on_error, output, echo and the expanded heads, as given at create or run. */
  head_options: HeadOptions;
}

type RawRow = Record<string, SqlStorageValue>;

function parseJson<T>(v: SqlStorageValue | undefined): T | null {
  return typeof v === "string" ? (JSON.parse(v) as T) : null;
}

function toRow(r: RawRow): JobRow {
  return {
    job_id: String(r.job_id),
    user_id: String(r.user_id),
    request_id: String(r.request_id),
    body_digest: String(r.body_digest),
    mode: r.mode === "long" ? "long" : "short",
    status: r.status as JobStatus,
    stage: (r.stage as StageName | null) ?? null,
    head_path: (r.head_path as string | null) ?? null,
    variables: parseJson<Record<string, string>>(r.variables) ?? {},
    snapshot_ttl: Number(r.snapshot_ttl),
    job_ttl: Number(r.job_ttl),
    timeout_ms: Number(r.timeout_ms),
    telemetry: parseJson<Record<string, string>>(r.telemetry) ?? {},
    run_digest: (r.run_digest as string | null) ?? null,
    run_requested: Number(r.run_requested) === 1,
    created_at: Number(r.created_at),
    started_at: r.started_at == null ? null : Number(r.started_at),
    finished_at: r.finished_at == null ? null : Number(r.finished_at),
    expires_at: Number(r.expires_at),
    attempts: Number(r.attempts),
    retries: Number(r.retries),
    instance_id: (r.instance_id as string | null) ?? null,
    snapshot: parseJson<SnapshotInfo>(r.snapshot),
    error: parseJson<JobError>(r.error),
    cache_hit: r.cache_hit == null ? null : Number(r.cache_hit) === 1,
    carried_steps: Number(r.carried_steps ?? 0),
    head_options: parseJson<HeadOptions>(r.head_options) ?? {},
  };
}

export type NewJob = Omit<
  JobRow,
  | "status"
  | "stage"
  | "run_requested"
  | "started_at"
  | "finished_at"
  | "attempts"
  | "retries"
  | "instance_id"
  | "snapshot"
  | "error"
  | "cache_hit"
  | "run_digest"
  | "carried_steps"
>;

/** Columns that `update` may write, with their JS types. */
export type JobPatch = Partial<
  Pick<
    JobRow,
    | "stage"
    | "head_path"
    | "variables"
    | "run_digest"
    | "run_requested"
    | "started_at"
    | "finished_at"
    | "attempts"
    | "retries"
    | "instance_id"
    | "snapshot"
    | "error"
    | "cache_hit"
    | "carried_steps"
    | "expires_at"
    | "head_options"
  >
>;

export type StoredEntry = { content: string } | { etag: string };

/** The job if it exists and belongs to `user`; otherwise the same 404 as a job that never was. */
export function ownedJob(store: JobStore, user: string): JobRow {
  const job = store.job();
  if (!job || job.user_id !== user) throw notFound();
  return job;
}

export class JobStore {
  readonly sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.sql = sql;
  }

  job(): JobRow | null {
    const rows = this.sql.exec<RawRow>("SELECT * FROM job WHERE id = 1").toArray();
    return rows[0] ? toRow(rows[0]) : null;
  }

  insert(job: NewJob): void {
    this.sql.exec(
      `INSERT INTO job (id, job_id, user_id, request_id, body_digest, mode, status, head_path,
         variables, snapshot_ttl, job_ttl, timeout_ms, telemetry, created_at, expires_at,
         head_options)
       VALUES (1, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      job.job_id,
      job.user_id,
      job.request_id,
      job.body_digest,
      job.mode,
      job.head_path,
      JSON.stringify(job.variables),
      job.snapshot_ttl,
      job.job_ttl,
      job.timeout_ms,
      JSON.stringify(job.telemetry),
      job.created_at,
      job.expires_at,
      JSON.stringify(job.head_options),
    );
  }

  update(patch: JobPatch): void {
    const sets: string[] = [];
    const values: SqlStorageValue[] = [];
    for (const [key, value] of Object.entries(patch)) {
      sets.push(`${key} = ?`);
      if (value === null || value === undefined) values.push(null);
      else if (typeof value === "boolean") values.push(value ? 1 : 0);
      else if (typeof value === "object") values.push(JSON.stringify(value));
      else values.push(value as string | number);
    }
    if (sets.length > 0) this.sql.exec(`UPDATE job SET ${sets.join(", ")} WHERE id = 1`, ...values);
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

  addEvent(type: EventType, data: Record<string, unknown>, now = Date.now()): JobEvent {
    const row = this.sql
      .exec<{ seq: number }>(
        "INSERT INTO events (type, ts, data) VALUES (?, ?, ?) RETURNING seq",
        type,
        now,
        JSON.stringify(data),
      )
      .one();
    return { seq: Number(row.seq), type, ts: new Date(now).toISOString(), data };
  }

  events(after: number, limit: number, type?: EventType): JobEvent[] {
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
    rows.forEach((values, i) => {
      chunksOf(JSON.stringify(values)).forEach((data, part) => {
        this.sql.exec(
          "INSERT INTO result_rows (set_id, row, part, data) VALUES (?, ?, ?, ?)",
          setId,
          first + i,
          part,
          data,
        );
      });
    });
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
