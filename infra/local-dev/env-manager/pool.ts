// The warm pool: pre-booted instances for recently used sources (layers and base images), refilled
// one at a time in the background within a count and memory budget. Taking one is a map lookup.
import type { PoolConfig } from "./config.ts";
import type { Instance } from "./instance.ts";

/** Boots a fresh instance of `sourceKey`, or returns null if the source no longer exists. */
export type BootFn = (sourceKey: string) => Promise<Instance | null>;

export class WarmPool {
  private readonly cfg: PoolConfig;
  private readonly boot: BootFn;
  private readonly idle = new Map<string, Instance[]>();
  /** Most recently used first. */
  private recent: string[] = [];
  private booting = 0;
  private refilling: Promise<void> | null = null;
  private delayed: Promise<void> | null = null;
  private closed = false;

  constructor(cfg: PoolConfig, boot: BootFn) {
    this.cfg = cfg;
    this.boot = boot;
  }

  /** A ready pre-booted instance of `sourceKey`, or null. Schedules a refill either way. */
  take(sourceKey: string): Instance | null {
    this.noteUse(sourceKey);
    const list = this.idle.get(sourceKey);
    let found: Instance | null = null;
    while (list?.length) {
      const candidate = list.shift() as Instance;
      if (candidate.status === "ready") {
        found = candidate;
        break;
      }
      void candidate.destroy();
    }
    if (found && this.cfg.refillDelayMs > 0) this.kickLater(this.cfg.refillDelayMs);
    else this.kick();
    return found;
  }

  /** Marks a source as recently used, so the pool keeps instances of it. */
  noteUse(sourceKey: string): void {
    this.recent = [sourceKey, ...this.recent.filter((k) => k !== sourceKey)];
    const dropped = this.recent.slice(this.cfg.recentSources);
    this.recent = this.recent.slice(0, this.cfg.recentSources);
    for (const key of dropped) this.evict(key);
  }

  size(): number {
    let n = 0;
    for (const list of this.idle.values()) n += list.length;
    return n;
  }

  /** The pooled instances, for tests and diagnostics. */
  peek(): Instance[] {
    return [...this.idle.values()].flat();
  }

  /** Sources of pooled instances (their layers must not be garbage-collected). */
  sources(): string[] {
    return [...this.idle.entries()].filter(([, l]) => l.length > 0).map(([k]) => k);
  }

  /** Resolves when the pool has finished its pending and current refill passes. */
  async settled(): Promise<void> {
    while (this.delayed || this.refilling) await (this.delayed ?? this.refilling);
  }

  /** Marks a source as likely to be asked for soon and schedules a refill (after the delay). */
  prefer(sourceKey: string): void {
    if (this.cfg.perSource === 0 || this.cfg.recentSources === 0) return;
    this.noteUse(sourceKey);
    if (this.cfg.refillDelayMs > 0) this.kickLater(this.cfg.refillDelayMs);
    else this.kick();
  }

  private kickLater(ms: number): void {
    if (this.delayed) return;
    this.delayed = new Promise<void>((resolve) => {
      setTimeout(() => {
        this.delayed = null;
        this.kick();
        resolve();
      }, ms).unref();
    });
  }

  kick(): void {
    if (this.closed || this.refilling) return;
    this.refilling = this.refill().finally(() => {
      this.refilling = null;
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.settled();
    const all = [...this.idle.values()].flat();
    this.idle.clear();
    await Promise.all(all.map((i) => i.destroy()));
  }

  private budgetLeft(): boolean {
    const total = this.size() + this.booting;
    return (
      total < this.cfg.maxTotal &&
      (total + 1) * this.cfg.instanceBytes <= this.cfg.memoryBudgetBytes
    );
  }

  private async refill(): Promise<void> {
    // One boot at a time: the pool must not compete with foreground boots for the two cores.
    for (let pass = 0; pass < 64 && !this.closed; pass++) {
      const key = this.recent.find((k) => this.liveCount(k) < this.cfg.perSource);
      if (!key || (!this.budgetLeft() && !this.makeRoomFor(key))) return;
      this.booting++;
      let inst: Instance | null = null;
      try {
        inst = await this.boot(key);
      } catch {
        inst = null;
      } finally {
        this.booting--;
      }
      if (!inst) {
        this.recent = this.recent.filter((k) => k !== key);
        continue;
      }
      if (this.closed || !this.recent.includes(key)) {
        await inst.destroy();
        continue;
      }
      const list = this.idle.get(key) ?? [];
      list.push(inst);
      this.idle.set(key, list);
      inst.onDeath = (dead) => {
        const l = this.idle.get(key);
        if (l)
          this.idle.set(
            key,
            l.filter((i) => i !== dead),
          );
        void dead.destroy();
        this.kick();
      };
    }
  }

  /**
   * When the budget is spent, a more recently used source may take the place of an idle instance
   * of a less recently used one: otherwise a pool filled by the layers a cold job published would
   * never make room for the layer that warm jobs now ask for.
   */
  private makeRoomFor(key: string): boolean {
    const rank = this.recent.indexOf(key);
    const victims = [...this.idle.keys()]
      .filter((k) => (this.idle.get(k)?.length ?? 0) > 0 && k !== key)
      .filter((k) => {
        const r = this.recent.indexOf(k);
        return r === -1 || r > rank;
      })
      .sort((a, b) => {
        const ra = this.recent.indexOf(a);
        const rb = this.recent.indexOf(b);
        return (
          (rb === -1 ? Number.MAX_SAFE_INTEGER : rb) - (ra === -1 ? Number.MAX_SAFE_INTEGER : ra)
        );
      });
    const victimKey = victims[0];
    const victim = victimKey === undefined ? undefined : this.idle.get(victimKey)?.pop();
    if (!victim) return false;
    void victim.destroy();
    return this.budgetLeft();
  }

  private liveCount(key: string): number {
    return (this.idle.get(key) ?? []).filter((i) => i.status === "ready").length;
  }

  private evict(key: string): void {
    const list = this.idle.get(key) ?? [];
    this.idle.delete(key);
    for (const inst of list) void inst.destroy();
  }
}
