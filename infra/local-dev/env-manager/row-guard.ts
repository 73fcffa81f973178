// Caps the size of one result row on its way from PostgreSQL to the client, before anyone buffers
// it. The neon driver (and any pg client) reads a whole DataRow message into memory before it can
// look at it, so a 200 MB `SELECT repeat(...)` cost the Worker over 600 MB before its per-set byte
// cap could drop the row. The proxy reads only message headers (type and length) while forwarding
// the bytes as they come; a DataRow longer than the cap is never forwarded: the client gets a FATAL
// ErrorResponse naming the limit (SQLSTATE 54000 program_limit_exceeded) and the session ends (the
// rest of the row cannot be skipped without the server sending it).

const DATA_ROW = 0x44; // 'D'
const HEADER_BYTES = 5;

export type RowGuardResult =
  /** Bytes to forward now (whole messages or message bodies; never a partial header). */
  | { forward: Buffer; oversized?: undefined }
  /** A row over the cap: forward `forward`, then end the session with the error. */
  | { forward: Buffer; oversized: { bytes: number } };

export class RowGuard {
  readonly #maxRowBytes: number;
  /** Body bytes of the current message still to pass (0: the next byte starts a header). */
  #skip = 0;
  /** A header cut by a chunk end, held back until it is whole. */
  #carry: Buffer = Buffer.alloc(0);

  constructor(maxRowBytes: number) {
    this.#maxRowBytes = maxRowBytes;
  }

  /** Takes the next chunk from the server; says what to forward and whether a row is too big. */
  push(chunk: Buffer): RowGuardResult {
    const buf = this.#carry.length === 0 ? chunk : Buffer.concat([this.#carry, chunk]);
    this.#carry = Buffer.alloc(0);
    let i = 0;
    while (i < buf.length) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, buf.length - i);
        this.#skip -= n;
        i += n;
        continue;
      }
      if (buf.length - i < HEADER_BYTES) {
        this.#carry = Buffer.from(buf.subarray(i));
        return { forward: buf.subarray(0, i) };
      }
      const type = buf[i];
      const body = buf.readInt32BE(i + 1) - 4;
      if (type === DATA_ROW && body > this.#maxRowBytes) {
        return { forward: buf.subarray(0, i), oversized: { bytes: body } };
      }
      i += HEADER_BYTES;
      this.#skip = Math.max(0, body);
    }
    return { forward: buf };
  }
}

/** The FATAL error a client gets instead of a row over the cap. */
export function rowTooLargeMessage(bytes: number, maxRowBytes: number): string {
  return `a result row of ${bytes} bytes is over the limit of ${maxRowBytes} bytes per row (ENV_MANAGER_MAX_ROW_BYTES); select less of it (e.g. left(col, n)) or page it`;
}
