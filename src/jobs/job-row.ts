// The job row (table `job`, one row per JobObject, created by migration 1 and widened by later
// ones): every column once, with how its value is stored, what a new job starts with when the
// create does not give it, and whether `JobStore.update` may write it. The row's TypeScript types
// (`JobRow`, `NewJob`, `JobPatch`), reading a row and writing one all come from this list, so a
// column is added here (and in a migration) and nowhere else.
import type { HeadOptions, JobError, JobStatus, SnapshotInfo, StageName } from "./model.ts";

type Raw = SqlStorageValue | undefined;

/** How one column's value is read from and written to SQLite. */
interface Codec<T> {
  decode(raw: Raw): T;
  encode(value: T): SqlStorageValue;
}

const text = <T extends string = string>(): Codec<T> => ({
  decode: (raw) => String(raw) as T,
  encode: (value) => value,
});
const textOrNull = <T extends string = string>(): Codec<T | null> => ({
  decode: (raw) => (raw == null ? null : (String(raw) as T)),
  encode: (value) => value,
});
const int: Codec<number> = { decode: (raw) => Number(raw), encode: (value) => value };
const intOrNull: Codec<number | null> = {
  decode: (raw) => (raw == null ? null : Number(raw)),
  encode: (value) => value,
};
const bool: Codec<boolean> = {
  decode: (raw) => Number(raw) === 1,
  encode: (value) => (value ? 1 : 0),
};
const boolOrNull: Codec<boolean | null> = {
  decode: (raw) => (raw == null ? null : Number(raw) === 1),
  encode: (value) => (value === null ? null : value ? 1 : 0),
};
/** JSON text; `fallback` when the column is NULL (a row written before the column existed). */
const json = <T>(fallback: T): Codec<T> => ({
  decode: (raw) => (typeof raw === "string" ? (JSON.parse(raw) as T) : fallback),
  encode: (value) => JSON.stringify(value),
});
const jsonOrNull = <T>(): Codec<T | null> => ({
  decode: (raw) => (typeof raw === "string" ? (JSON.parse(raw) as T) : null),
  encode: (value) => (value === null ? null : JSON.stringify(value)),
});
/** Anything but "long" reads as "short". */
const mode: Codec<"short" | "long"> = {
  decode: (raw) => (raw === "long" ? "long" : "short"),
  encode: (value) => value,
};

interface Column<T, Initial extends boolean, Updatable extends boolean> {
  codec: Codec<T>;
  /** A new job's value when `NewJob` does not carry it (`NewJob` leaves such columns out). */
  initial?: T;
  /** `JobStore.update` may write it. */
  update: Updatable;
  /** Type-level only: whether `initial` is set. */
  readonly hasInitial?: Initial;
}

/** A column the create gives and nothing changes afterwards. */
function fixed<T>(codec: Codec<T>): Column<T, false, false> {
  return { codec, update: false };
}
/** A column the create gives that `update` may change later. */
function given<T>(codec: Codec<T>): Column<T, false, true> {
  return { codec, update: true };
}
/** A column a new job starts at `initial` (not part of `NewJob`); `update` may change it. */
function starts<T>(codec: Codec<T>, initial: T, update: true): Column<T, true, true>;
function starts<T>(codec: Codec<T>, initial: T, update: false): Column<T, true, false>;
function starts<T>(codec: Codec<T>, initial: T, update: boolean): Column<T, true, boolean> {
  return { codec, initial, update };
}

/** Every column of `job` but its key `id` (always 1). */
export const JOB_COLUMNS = {
  job_id: fixed(text()),
  user_id: fixed(text()),
  request_id: fixed(text()),
  body_digest: fixed(text()),
  mode: fixed(mode),
  /** Moved only by `JobStore.transition` (compare-and-set), never by `update`. */
  status: starts(text<JobStatus>(), "pending", false),
  stage: starts(textOrNull<StageName>(), null, true),
  head_path: given(textOrNull()),
  variables: given(json<Record<string, string>>({})),
  snapshot_ttl: fixed(int),
  job_ttl: fixed(int),
  timeout_ms: fixed(int),
  telemetry: fixed(json<Record<string, string>>({})),
  run_digest: starts(textOrNull(), null, true),
  run_requested: starts(bool, false, true),
  created_at: fixed(int),
  started_at: starts(intOrNull, null, true),
  finished_at: starts(intOrNull, null, true),
  expires_at: given(int),
  attempts: starts(int, 0, true),
  retries: starts(int, 0, true),
  instance_id: starts(textOrNull(), null, true),
  snapshot: starts(jsonOrNull<SnapshotInfo>(), null, true),
  error: starts(jsonOrNull<JobError>(), null, true),
  cache_hit: starts(boolOrNull, null, true),
  /** Steps replayed by earlier alarms of this job (a long tail continues in the next alarm). */
  carried_steps: starts(int, 0, true),
  /** on_error, output, echo and the expanded heads, as given at create or run. */
  head_options: given(json<HeadOptions>({})),
};

type Columns = typeof JOB_COLUMNS;
type ValueOf<C> = C extends Column<infer T, boolean, boolean> ? T : never;
type KeysWhere<Flag extends "hasInitial" | "update", V extends boolean> = {
  [K in keyof Columns]: Columns[K] extends Column<unknown, infer I, infer U>
    ? (Flag extends "hasInitial" ? I : U) extends V
      ? K
      : never
    : never;
}[keyof Columns];

export type JobRow = { [K in keyof Columns]: ValueOf<Columns[K]> };
/** What a create gives: every column without an initial value. */
export type NewJob = { [K in KeysWhere<"hasInitial", false>]: JobRow[K] };
/** Columns that `update` may write. */
export type JobPatch = Partial<{ [K in KeysWhere<"update", true>]: JobRow[K] }>;

const NAMES = Object.keys(JOB_COLUMNS) as (keyof Columns)[];
const column = (name: keyof Columns) =>
  JOB_COLUMNS[name] as Column<unknown, boolean, boolean> & { codec: Codec<unknown> };

/** A `SELECT *` row of `job` as a `JobRow`. */
export function decodeJobRow(raw: Record<string, SqlStorageValue>): JobRow {
  const row: Record<string, unknown> = {};
  for (const name of NAMES) row[name] = column(name).codec.decode(raw[name]);
  return row as JobRow;
}

/** The `INSERT` of a new job's row: every column, the create's value or the initial one. */
export function insertJobRow(job: NewJob): { sql: string; values: SqlStorageValue[] } {
  const given = job as Record<string, unknown>;
  const values = NAMES.map((name) => {
    const col = column(name);
    return col.codec.encode(name in given ? given[name] : col.initial);
  });
  return {
    sql: `INSERT INTO job (id, ${NAMES.join(", ")}) VALUES (1, ${NAMES.map(() => "?").join(", ")})`,
    values,
  };
}

/** The `SET` list and values of an update (null when the patch is empty). */
export function updateJobRow(patch: JobPatch): { sets: string; values: SqlStorageValue[] } | null {
  const sets: string[] = [];
  const values: SqlStorageValue[] = [];
  for (const [name, value] of Object.entries(patch)) {
    const col = column(name as keyof Columns);
    // Only JobPatch's keys reach here; the check keeps a cast from writing any other name.
    if (!col?.update) throw new Error(`job column ${name} cannot be updated`);
    sets.push(`${name} = ?`);
    values.push(value === null || value === undefined ? null : col.codec.encode(value));
  }
  return sets.length > 0 ? { sets: sets.join(", "), values } : null;
}
