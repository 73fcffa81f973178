// Sends one query (one statement, or several joined with `\;`) as a simple Query, as psql does, and
// reports each result as it completes: its columns, rows (under the caps), command tag, COPY TO
// STDOUT data; then the error, if any. Results are handed over one by one so output stays in order
// with the notices that arrive between them.
import type { Client, Submittable } from "@neondatabase/serverless";
import { BatchQuery, type FieldDescription } from "../batch-query.ts";
import type { ResultBudget } from "../result-budget.ts";
import { rowBytes } from "../utf8.ts";

export interface QueryResultSet {
  fields: FieldDescription[];
  rows: (string | null)[][];
  tag: string;
  /** The server described rows (PGRES_TUPLES_OK): printed as a table even with no columns. */
  tuples: boolean;
  /** Rows dropped by the caps. */
  truncated: boolean;
  /** COPY ... TO STDOUT text, as the server sent it. */
  copyOut?: string;
}

export interface QueryCaps {
  maxRows: number;
  /** UTF-8 bytes of the values of one result set (COPY TO STDOUT: bytes of its data). */
  maxBytes: number;
  /** The job's budget all its heads' statements draw from (absent for internal queries). */
  total?: ResultBudget;
}

export type QueryOutcome = { ok: true } | { ok: false; error: unknown };

/**
 * Runs `text`; `copyData(i)` gives the inline data of the i-th COPY FROM STDIN of the query.
 * `onResult` sees every completed result in order; `onCopyOut` sees COPY TO STDOUT text as it
 * arrives (psql writes it then, between the notices the statement raises).
 */
export async function execQuery(
  client: Client,
  text: string,
  copyData: (i: number) => string | undefined,
  caps: QueryCaps,
  onResult: (r: QueryResultSet) => void,
  signal?: AbortSignal,
  onCopyOut?: (text: string) => void,
): Promise<QueryOutcome & { copyBytes: number }> {
  const q = prepareQuery(text, copyData, caps, onResult, signal, onCopyOut);
  client.query(q as unknown as Submittable);
  return await outcomeOf(q);
}

export async function outcomeOf(q: BatchQuery): Promise<QueryOutcome & { copyBytes: number }> {
  const outcome = await q.done;
  return { ...outcome, copyBytes: q.copyBytes };
}

/** The submittable execQuery sends (pipeline.ts sends several before awaiting any). */
export function prepareQuery(
  text: string,
  copyData: (i: number) => string | undefined,
  caps: QueryCaps,
  onResult: (r: QueryResultSet) => void,
  signal?: AbortSignal,
  onCopyOut?: (text: string) => void,
): BatchQuery {
  let fields: FieldDescription[] = [];
  let tuples = false;
  let rows: (string | null)[][] = [];
  let bytes = 0;
  let truncated = false;
  let copyOut: string | undefined;
  let copies = 0;
  const decoder = new TextDecoder();
  const q = new BatchQuery(
    text,
    {
      rowDescription: (f) => {
        fields = f;
        tuples = true;
      },
      dataRow: (values) => {
        if (truncated || rows.length >= caps.maxRows) {
          truncated = true;
          return;
        }
        const size = rowBytes(values);
        if (bytes + size > caps.maxBytes || (caps.total && !caps.total.take(size))) {
          truncated = true;
          return;
        }
        bytes += size;
        rows.push(values);
      },
      commandComplete: (tag) => {
        const r: QueryResultSet = { fields, rows, tag, tuples, truncated };
        if (copyOut !== undefined) {
          const rest = decoder.decode();
          if (rest) onCopyOut?.(rest);
          r.copyOut = copyOut + rest;
        }
        fields = [];
        tuples = false;
        rows = [];
        bytes = 0;
        truncated = false;
        copyOut = undefined;
        onResult(r);
      },
      copyIn: () => copyData(copies++),
      copyOut: (chunk) => {
        if (
          truncated ||
          bytes + chunk.length > caps.maxBytes ||
          (caps.total && !caps.total.take(chunk.length))
        ) {
          truncated = true;
          return;
        }
        bytes += chunk.length;
        const text = decoder.decode(chunk, { stream: true });
        copyOut = (copyOut ?? "") + text;
        if (text) onCopyOut?.(text);
      },
    },
    signal,
  );
  return q;
}
