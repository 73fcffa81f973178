// What an isolate remembers of the content leases it saw hold (src/jobs/content-store.ts): per key,
// the latest lease end. Bounded by entries: at the cap the entry written least recently is
// forgotten (its next use asks R2 again, as after an isolate restart), never the whole memo.

export class LeaseMemo {
  private readonly ends = new Map<string, number>();
  readonly maxEntries: number;

  constructor(maxEntries: number) {
    this.maxEntries = maxEntries;
  }

  get size(): number {
    return this.ends.size;
  }

  /** The lease end remembered for `key` (0: none). */
  get(key: string): number {
    return this.ends.get(key) ?? 0;
  }

  /** Remembers `until` for `key` (keeping a later end already known). */
  set(key: string, until: number): void {
    const end = Math.max(this.ends.get(key) ?? 0, until);
    // Written again: it moves to the newest end of the Map's order.
    this.ends.delete(key);
    if (this.ends.size >= this.maxEntries) {
      const oldest = this.ends.keys().next();
      if (!oldest.done) this.ends.delete(oldest.value);
    }
    this.ends.set(key, end);
  }

  clear(): void {
    this.ends.clear();
  }
}
