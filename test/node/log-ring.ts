// The platform services' log lines during a vitest run (global-setup.ts passes `push` as
// startPlatform's `log` sink), kept in a bounded ring so a test inside workerd can read what they
// printed (operators-control.ts serves `GET /logs?since=`). Lines are numbered from 0; once the
// ring is full the oldest go, and `since` below the first kept number just starts at the oldest.
export const DEFAULT_LOG_RING_LINES = 20_000;

export class LogRing {
  readonly #cap: number;
  #lines: string[] = [];
  /** Number of the first line still kept. */
  #first = 0;

  constructor(cap = DEFAULT_LOG_RING_LINES) {
    this.#cap = cap;
  }

  push = (line: string): void => {
    this.#lines.push(line);
    // Dropping in chunks keeps the push amortised O(1) (no shift per line).
    if (this.#lines.length > this.#cap * 1.25) {
      const drop = this.#lines.length - this.#cap;
      this.#lines = this.#lines.slice(drop);
      this.#first += drop;
    }
  };

  /** The number the next line will get. */
  get next(): number {
    return this.#first + this.#lines.length;
  }

  /** Kept lines numbered `since` and up (at most `cap` of them), and the number after the last. */
  since(since: number): { lines: string[]; first: number; next: number } {
    const all = this.#lines.slice(Math.max(0, this.#lines.length - this.#cap));
    const firstKept = this.next - all.length;
    const from = Math.max(since, firstKept);
    return { lines: all.slice(from - firstKept), first: from, next: this.next };
  }
}
