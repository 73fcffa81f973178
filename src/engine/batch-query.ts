// A custom submittable for the node-postgres-style Client of `@neondatabase/serverless`: sends one
// simple Query (possibly many statements) and receives the protocol messages raw, so values stay
// PostgreSQL's text output (no type parsers), duplicate column names survive, and each
// CopyInResponse is answered with that COPY's inline data in chunks over the COPY protocol.
import { Buffer } from "node:buffer";

/** The part of the driver's Connection this submittable uses. */
export interface WireConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
  sendCopyFail(message: string): void;
}

export interface FieldDescription {
  name: string;
  dataTypeID: number;
}

export interface BatchHandlers {
  rowDescription(fields: FieldDescription[]): void;
  dataRow(values: (string | null)[]): void;
  commandComplete(tag: string): void;
  /** The inline data for the COPY ... FROM stdin the server now asks for (undefined: none). */
  copyIn(): string | undefined;
  /** A line of COPY ... TO STDOUT output. */
  copyOut(chunk: Uint8Array): void;
}

export const COPY_CHUNK_BYTES = 64 * 1024;

/** Outcome of a query: settled after ReadyForQuery, or at the error (the Client then waits for it). */
export type BatchOutcome = { ok: true } | { ok: false; error: unknown };

interface ProtocolMessage {
  fields?: unknown;
  text?: string;
  chunk?: Uint8Array;
}

export class BatchQuery {
  readonly text: string;
  readonly done: Promise<BatchOutcome>;
  /** Bytes of COPY data sent. */
  copyBytes = 0;
  private settle!: (o: BatchOutcome) => void;
  private readonly handlers: BatchHandlers;
  private readonly signal: AbortSignal | undefined;

  constructor(text: string, handlers: BatchHandlers, signal?: AbortSignal) {
    this.text = text;
    this.handlers = handlers;
    this.signal = signal;
    this.done = new Promise((resolve) => {
      this.settle = resolve;
    });
  }

  /**
   * Pipelining (psql/pipeline.ts): the Query messages this submittable writes when the Client makes
   * it active, instead of its own text: the lead of a pipeline writes every member's, the others
   * none (theirs are already on the wire; the Client still hands each its own replies in order).
   */
  sends: string[] | undefined;
  /** Called when the Client makes this query active: its replies are the ones arriving now. */
  onActive: (() => void) | undefined;

  submit(connection: WireConnection): void {
    this.onActive?.();
    for (const text of this.sends ?? [this.text]) connection.query(text);
  }

  handleRowDescription(msg: ProtocolMessage): void {
    const fields = (msg.fields as { name: string; dataTypeID: number }[]) ?? [];
    this.handlers.rowDescription(fields.map((f) => ({ name: f.name, dataTypeID: f.dataTypeID })));
  }

  handleDataRow(msg: ProtocolMessage): void {
    this.handlers.dataRow((msg.fields as (string | null)[]) ?? []);
  }

  handleCommandComplete(msg: ProtocolMessage): void {
    this.handlers.commandComplete(msg.text ?? "");
  }

  handleEmptyQuery(): void {}

  handlePortalSuspended(): void {}

  handleCopyInResponse(connection: WireConnection): void {
    if (this.signal?.aborted) {
      connection.sendCopyFail("canceled by the client");
      return;
    }
    const data = this.handlers.copyIn();
    if (data === undefined) {
      connection.sendCopyFail("COPY FROM stdin without inline data in the script");
      return;
    }
    const bytes = Buffer.from(data, "utf8");
    for (let at = 0; at < bytes.length; at += COPY_CHUNK_BYTES) {
      connection.sendCopyFromChunk(bytes.subarray(at, at + COPY_CHUNK_BYTES));
    }
    this.copyBytes += bytes.length;
    connection.endCopyFrom();
  }

  handleCopyData(msg: ProtocolMessage): void {
    if (msg.chunk) this.handlers.copyOut(msg.chunk);
  }

  handleError(error: unknown): void {
    this.settle({ ok: false, error });
  }

  handleReadyForQuery(): void {
    this.settle({ ok: true });
  }
}
