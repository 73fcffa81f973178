// A job's result in pages: while a head runs, each result set's rows go to the job's storage as the
// set completes (ResultWriter), and only the first rows of each set, within one budget for the
// whole view, stay in the summary the job view shows. `GET /v1/jobs/{id}/result?set=&after=&limit=`
// reads the rest (readResultPage). So neither the view nor a page ever crosses an RPC whole: a page
// is at most `pageMaxRows` rows and `pageMaxBytes` of values (always at least one row).

import { rowBytes } from "../engine/utf8.ts";
import { AppError } from "../errors.ts";
import { RESULT_LIMITS } from "../limits/limits.ts";
import type { JobStore } from "./job-store.ts";
import type { JobResult, ResultPage, ResultSet } from "./model.ts";
import { isTerminal } from "./state-machine.ts";

type Row = (string | null)[];

/** `/v1/jobs/{id}/result?set=N&after=M`: the page of set N from row number M on. */
export function pageHref(jobId: string, setId: number, after: number): string {
  return `/v1/jobs/${jobId}/result?set=${setId}&after=${after}`;
}

/**
 * The rows of one page: at most `limit`, and no row that would take the values past `maxBytes`
 * unless it is the first (a page always moves the cursor). `rows` starts at the cursor.
 */
export function takePage(rows: Iterable<Row>, limit: number, maxBytes: number): Row[] {
  const out: Row[] = [];
  let bytes = 0;
  for (const row of rows) {
    if (out.length >= limit) break;
    const size = rowBytes(row);
    if (out.length > 0 && bytes + size > maxBytes) break;
    bytes += size;
    out.push(row);
  }
  return out;
}

/** The cursor after a page of `taken` rows read from `after`: null once the stored rows end. */
export function nextAfter(after: number, taken: number, stored: number): number | null {
  const next = after + taken;
  return next < stored ? next : null;
}

/** What the writer adds to a set it kept. */
export interface KeptSet {
  set_id: number;
  stored_rows: number;
  /** The rows the view carries (the first ones). */
  rows: Row[];
  next?: string;
}

/**
 * Stores each result set's rows as the set completes and keeps the first rows of every set for the
 * view, within `viewBytes` / `viewRows` for all sets together (first come, first kept).
 */
export class ResultWriter {
  private nextSet = 0;
  private viewBytes = 0;
  private viewRows = 0;
  private readonly store: JobStore;
  private readonly jobId: string;
  private readonly limits: { viewBytes: number; viewRows: number };

  constructor(
    store: JobStore,
    jobId: string,
    limits: { viewBytes: number; viewRows: number } = RESULT_LIMITS,
  ) {
    this.store = store;
    this.jobId = jobId;
    this.limits = limits;
  }

  keep(rows: readonly Row[]): KeptSet {
    const setId = this.nextSet++;
    this.store.putResultRows(setId, 0, rows);
    let n = 0;
    while (n < rows.length && this.viewRows < this.limits.viewRows) {
      const size = rowBytes(rows[n]!);
      if (this.viewBytes + size > this.limits.viewBytes) break;
      this.viewBytes += size;
      this.viewRows++;
      n++;
    }
    const kept: KeptSet = { set_id: setId, stored_rows: rows.length, rows: rows.slice(0, n) };
    if (n < rows.length) kept.next = pageHref(this.jobId, setId, n);
    return kept;
  }
}

/** Every set of a stored result with the head it belongs to, in set_id order. */
function* setsOf(result: JobResult): Generator<{ set: ResultSet; head: string | null }> {
  for (const s of result.sets) yield { set: s, head: null };
  for (const h of result.heads ?? []) for (const s of h.sets) yield { set: s, head: h.path };
}

export interface PageQuery {
  set: number;
  after: number;
  limit: number;
}

/** One page of a stored set; 409 while the job has no result yet, 404 for a set it does not have. */
export function readResultPage(
  store: JobStore,
  jobId: string,
  q: PageQuery,
  maxBytes: number = RESULT_LIMITS.pageMaxBytes,
): ResultPage {
  const job = store.job();
  const result = store.result();
  if (!result) {
    if (job && !isTerminal(job.status)) {
      throw new AppError(
        409,
        "result_not_ready",
        `the job has no result yet (status ${job.status})`,
        {
          status: job.status,
        },
      );
    }
    throw new AppError(404, "result_not_found", `the job has no result (status ${job?.status})`, {
      set: q.set,
    });
  }
  let found: { set: ResultSet; head: string | null } | undefined;
  for (const entry of setsOf(result)) if (entry.set.set_id === q.set) found = entry;
  if (!found) {
    throw new AppError(404, "result_not_found", `the job's result has no set ${q.set}`, {
      set: q.set,
    });
  }
  const { set } = found;
  const stored = set.stored_rows ?? set.rows.length;
  const rows = takePage(store.resultRows(q.set, q.after, q.limit), q.limit, maxBytes);
  const next = nextAfter(q.after, rows.length, stored);
  return {
    job_id: jobId,
    set_id: q.set,
    head_path: found.head ?? job?.head_path ?? null,
    command: set.command,
    tag: set.tag,
    columns: set.columns,
    row_count: set.row_count,
    stored_rows: stored,
    truncated: set.truncated,
    after: q.after,
    rows,
    next_after: next,
    next: next === null ? null : pageHref(jobId, q.set, next),
  };
}
