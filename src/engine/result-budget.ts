// The result budget of a whole job: every head's result sets draw their rows' bytes from one
// budget, so a job's result is bounded in total (not only per set) while rows arrive. It also
// bounds how many sets are kept: each kept set's metadata (command, tag, columns) stays in the
// summary the job view carries, so a head of very many small statements would otherwise grow the
// view (and every RPC carrying it) without limit even when each set has no rows.
import { utf8Length } from "./utf8.ts";

export interface SetCaps {
  /** Result sets kept per job, all heads together. */
  maxSets: number;
  /** UTF-8 bytes of the kept sets' metadata (command, tag, file, column names and types). */
  maxMetaBytes: number;
  /** Error entries kept per job, all heads together (a head in continue mode may fail often). */
  maxErrors?: number;
}

/** No set cap: for callers (engine tests) that only bound rows. */
const UNCAPPED: SetCaps = {
  maxSets: Number.POSITIVE_INFINITY,
  maxMetaBytes: Number.POSITIVE_INFINITY,
};

/** The metadata bytes a set costs the view (its types as they are when it completes). */
export function setMetaBytes(set: {
  command: string;
  tag: string;
  file?: string;
  columns: readonly { name: string; type: string }[];
}): number {
  let n = utf8Length(set.command) + utf8Length(set.tag) + utf8Length(set.file ?? "");
  for (const c of set.columns) n += utf8Length(c.name) + utf8Length(c.type);
  return n;
}

export class ResultBudget {
  readonly maxBytes: number;
  readonly sets: SetCaps;
  used = 0;
  /** True once a row was refused: the job's result is incomplete. */
  exhausted = false;
  keptSets = 0;
  metaBytes = 0;
  /** Sets that ran (and printed, for psql output) but were not kept once a set cap was reached. */
  droppedSets = 0;
  keptErrors = 0;
  /** Error entries counted but not kept once the error cap was reached. */
  droppedErrors = 0;

  constructor(maxBytes: number, sets: SetCaps = UNCAPPED) {
    this.maxBytes = maxBytes;
    this.sets = sets;
  }

  /** Takes `bytes` if they fit; otherwise marks the budget exhausted and takes nothing. */
  take(bytes: number): boolean {
    if (this.exhausted || this.used + bytes > this.maxBytes) {
      this.exhausted = true;
      return false;
    }
    this.used += bytes;
    return true;
  }

  /**
   * Keeps one more set of `metaBytes` if both set caps allow it; otherwise counts it as dropped.
   * Once one set is dropped every later one is too, so the kept sets are the head of the result
   * (no gaps a reader would have to explain).
   */
  takeSet(metaBytes: number): boolean {
    if (
      this.droppedSets > 0 ||
      this.keptSets + 1 > this.sets.maxSets ||
      this.metaBytes + metaBytes > this.sets.maxMetaBytes
    ) {
      this.droppedSets++;
      return false;
    }
    this.keptSets++;
    this.metaBytes += metaBytes;
    return true;
  }

  /** Keeps one more error entry if the error cap allows it; otherwise counts it as dropped. */
  takeError(): boolean {
    if (this.keptErrors >= (this.sets.maxErrors ?? Number.POSITIVE_INFINITY)) {
      this.droppedErrors++;
      return false;
    }
    this.keptErrors++;
    return true;
  }

  /** Returns the row bytes of a set that was not kept: its rows are not stored either. */
  giveBack(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }
}
