// Runs async operations one after another. A Durable Object interleaves requests at every await:
// two creates of one job could both see "no job yet" before either inserts (a 500 from the
// primary key). Queued behind each other, the second sees the first's job: the same job for the
// same body, 409 for another body.

export class Serial {
  #tail: Promise<unknown> = Promise.resolve();

  /** Runs `fn` after every operation queued before it has settled; its own outcome is returned. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#tail.then(fn, fn);
    this.#tail = next.catch(() => {});
    return next;
  }
}
