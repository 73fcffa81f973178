// The result budget of a whole job: every head's result sets draw their rows' bytes from one
// budget, so a job's result is bounded in total (not only per set) while rows arrive.

export class ResultBudget {
  readonly maxBytes: number;
  used = 0;
  /** True once a row was refused: the job's result is incomplete. */
  exhausted = false;

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
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
}
