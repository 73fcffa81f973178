// Answers `GET /v1/jobs/{id}` for the job object: from the memo while nothing was written since
// the last view was built (polling reads no tables, issue 13), and with `wait_ms` as a long poll
// that returns as soon as the job ends. The queue place of a pending job lives in the admission
// object and changes without a write here, so a pending view is never kept.

import { type JobStore, ownedJob } from "./job-store.ts";
import { buildView } from "./job-view.ts";
import type { QueuePlace } from "./model.ts";
import { isTerminal } from "./state-machine.ts";
import { type CountedSql, ViewMemo } from "./write-counter.ts";

type View = NonNullable<ReturnType<typeof buildView>>;

export class ViewAnswer {
  readonly #sql: CountedSql;
  readonly #store: JobStore;
  readonly #memo: ViewMemo<View>;
  /** Long-poll waiters, woken by the terminal status event. */
  readonly #waiters = new Set<() => void>();

  constructor(sql: CountedSql, store: JobStore) {
    this.#sql = sql;
    this.#store = store;
    this.#memo = new ViewMemo(sql);
  }

  /** The job reached its terminal state: every long poll answers now. */
  finished(): void {
    for (const wake of this.#waiters) wake();
    this.#waiters.clear();
  }

  /** The job view for `user`; with `waitMs`, once the job ended or after `waitMs`. */
  async answer(
    user: string,
    waitMs: number,
    queuePlace: () => Promise<QueuePlace | null>,
  ): Promise<View> {
    const memo = this.#memo.get(user);
    if (memo && (waitMs <= 0 || isTerminal(memo.status))) return memo;
    const job = ownedJob(this.#store, user);
    if (waitMs > 0 && !isTerminal(job.status)) await this.#wait(waitMs);
    const again = this.#memo.get(user);
    if (again) return again;
    const writes = this.#sql.writes();
    ownedJob(this.#store, user);
    const view = buildView(this.#store);
    if (!view) throw new Error("job vanished");
    if (view.status === "pending") view.queue = await queuePlace();
    else this.#memo.put(user, writes, view);
    return view;
  }

  #wait(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      const waiters = this.#waiters;
      function done() {
        clearTimeout(timer);
        waiters.delete(done);
        resolve();
      }
      waiters.add(done);
    });
  }
}
