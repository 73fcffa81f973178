// The warm pool: pre-booted instances for recently used sources (layers and base images), within a
// count and memory budget. Taking one is a map lookup; every take starts a refill at once (boots
// unpack at low priority, see pack.ts), and a source gets as many instances as its recent demand
// needs to cover one boot's time (PoolDemand), so back-to-back hits do not drain it.
import type { PoolConfig } from "./config.ts";
import type { Instance } from "./instance.ts";
import { PoolDemand } from "./pool-demand.ts";

/** Boots a fresh instance of `sourceKey`, or returns null if the source no longer exists. */
export type BootFn = (sourceKey: string) => Promise<Instance | null>;

/** Told why a pool boot failed (the pool retries it; the operator should see the reason). */
export type BootErrorFn = (sourceKey: string, err: unknown) => void;

export interface PoolStats {
  /** Takes answered with a ready instance. */
  hits: number;
  /** Takes that found none (the caller booted one itself). */
  misses: number;
  /** Instances the pool booted. */
  boots: number;
  /**
   * Per source: hits, misses, the number of instances the pool aims to keep now, those it holds,
   * those booting, and its failed boots in a row.
   */
  sources: {
    key: string;
    hits: number;
    misses: number;
    target: number;
    idle: number;
    booting: number;
    failures: number;
  }[];
}

/** Failed pool boots of one source in a row before it leaves the pool (see noteBootFailure). */
const MAX_BOOT_FAILURES = 5;
const BOOT_RETRY_BASE_MS = 250;
const BOOT_RETRY_MAX_MS = 8_000;

export class WarmPool {
  private readonly cfg: PoolConfig;
  private readonly boot: BootFn;
  private readonly onBootError: BootErrorFn;
  private readonly idle = new Map<string, Instance[]>();
  private readonly demand: PoolDemand;
  /** Most recently used first. */
  private recent: string[] = [];
  /** Boots in flight, per source. */
  private readonly booting = new Map<string, number>();
  private readonly inFlight = new Set<Promise<void>>();
  private delayed: Promise<void> | null = null;
  private closed = false;
  private hits = 0;
  private misses = 0;
  private boots = 0;
  private readonly perSourceCounts = new Map<string, { hits: number; misses: number }>();
  /** Failed pool boots in a row per source, and when the next may start (back-off). */
  private readonly failures = new Map<string, { count: number; retryAt: number }>();

  constructor(cfg: PoolConfig, boot: BootFn, onBootError: BootErrorFn = () => {}) {
    this.cfg = cfg;
    this.boot = boot;
    this.onBootError = onBootError;
    this.demand = new PoolDemand({
      min: cfg.perSource,
      max: Math.max(cfg.perSource, cfg.maxPerSource ?? cfg.perSource),
      windowMs: cfg.demandWindowMs ?? 10_000,
    });
  }

  /** A ready pre-booted instance of `sourceKey`, or null. Starts a refill either way. */
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
    this.count(sourceKey, found !== null);
    this.demand.record(sourceKey);
    this.schedule();
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

  stats(): PoolStats {
    const now = Date.now();
    return {
      hits: this.hits,
      misses: this.misses,
      boots: this.boots,
      sources: this.recent.map((key) => ({
        key,
        hits: this.perSourceCounts.get(key)?.hits ?? 0,
        misses: this.perSourceCounts.get(key)?.misses ?? 0,
        target: this.demand.target(key, now),
        idle: this.idle.get(key)?.length ?? 0,
        booting: this.booting.get(key) ?? 0,
        failures: this.failures.get(key)?.count ?? 0,
      })),
    };
  }

  /** Resolves when the pool has finished its pending and current refill boots. */
  async settled(): Promise<void> {
    while (this.delayed || this.inFlight.size > 0) {
      await (this.delayed ?? Promise.all([...this.inFlight]));
    }
  }

  /** Marks a source as likely to be asked for soon and schedules a refill. */
  prefer(sourceKey: string): void {
    if (this.cfg.perSource === 0 || this.cfg.recentSources === 0) return;
    this.noteUse(sourceKey);
    this.schedule();
  }

  kick(): void {
    if (this.closed) return;
    const limit = Math.max(1, this.cfg.refillConcurrency ?? 1);
    while (this.inFlight.size < limit) {
      const key = this.nextKey();
      if (!key) return;
      const run: Promise<void> = this.bootOne(key).finally(() => {
        this.inFlight.delete(run);
        this.kick();
      });
      this.inFlight.add(run);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.settled();
    const all = [...this.idle.values()].flat();
    this.idle.clear();
    await Promise.all(all.map((i) => i.destroy()));
  }

  /** Refill at once unless the configuration asks for a delay (kept for callers that set one). */
  private schedule(): void {
    if (this.cfg.refillDelayMs <= 0) {
      this.kick();
      return;
    }
    if (this.delayed) return;
    this.delayed = new Promise<void>((resolve) => {
      setTimeout(() => {
        this.delayed = null;
        this.kick();
        resolve();
      }, this.cfg.refillDelayMs).unref();
    });
  }

  private count(key: string, hit: boolean): void {
    if (hit) this.hits++;
    else this.misses++;
    const c = this.perSourceCounts.get(key) ?? { hits: 0, misses: 0 };
    if (hit) c.hits++;
    else c.misses++;
    this.perSourceCounts.set(key, c);
  }

  private total(): number {
    let n = this.size();
    for (const b of this.booting.values()) n += b;
    return n;
  }

  private budgetLeft(): boolean {
    const total = this.total();
    return (
      total < this.cfg.maxTotal &&
      (total + 1) * this.cfg.instanceBytes <= this.cfg.memoryBudgetBytes
    );
  }

  /** The most recent source below its demand-sized target that the budget (or a swap) allows. */
  private nextKey(): string | null {
    const now = Date.now();
    const key = this.recent.find(
      (k) =>
        (this.failures.get(k)?.retryAt ?? 0) <= now &&
        this.liveCount(k) + (this.booting.get(k) ?? 0) < this.demand.target(k, now),
    );
    if (!key) return null;
    if (!this.budgetLeft() && !this.makeRoomFor(key, now)) return null;
    return key;
  }

  private async bootOne(key: string): Promise<void> {
    this.booting.set(key, (this.booting.get(key) ?? 0) + 1);
    const t0 = performance.now();
    let inst: Instance | null = null;
    try {
      inst = await this.boot(key);
    } catch (err) {
      this.onBootError(key, err);
      inst = null;
    } finally {
      this.booting.set(key, (this.booting.get(key) ?? 1) - 1);
    }
    if (!inst) {
      if (!this.closed) this.noteBootFailure(key);
      return;
    }
    this.failures.delete(key);
    this.boots++;
    this.demand.noteBoot(key, performance.now() - t0);
    if (this.closed || !this.recent.includes(key)) {
      await inst.destroy();
      return;
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

  /**
   * A pool boot that failed (a loaded machine, a port taken, a slow start) is tried again after a
   * back-off; only after MAX_BOOT_FAILURES in a row does the source leave the pool until it is
   * asked for again. Dropping it at the first failure left a source unrefilled for good.
   */
  private noteBootFailure(key: string): void {
    const count = (this.failures.get(key)?.count ?? 0) + 1;
    if (count > MAX_BOOT_FAILURES) {
      this.failures.delete(key);
      this.recent = this.recent.filter((k) => k !== key);
      return;
    }
    const wait = Math.min(BOOT_RETRY_MAX_MS, BOOT_RETRY_BASE_MS * 2 ** (count - 1));
    const entry = { count, retryAt: Date.now() + wait };
    this.failures.set(key, entry);
    // The timer opens the gate itself: a timer may fire a millisecond before Date.now() reaches
    // retryAt (timers run on a monotonic clock), and a gate still shut then stalled the pool.
    setTimeout(() => {
      entry.retryAt = 0;
      this.kick();
    }, wait).unref();
  }

  /**
   * When the budget is spent, a source in more demand may take the place of an idle instance of
   * one in less (a less recent source, or a source holding more than its target): otherwise a pool
   * filled by the layers a cold job published would never make room for the layer warm jobs use.
   */
  private makeRoomFor(key: string, now: number): boolean {
    const rank = this.recent.indexOf(key);
    const rankOf = (k: string) => {
      const r = this.recent.indexOf(k);
      return r === -1 ? Number.MAX_SAFE_INTEGER : r;
    };
    const surplus = (k: string) => this.liveCount(k) - this.demand.target(k, now);
    const victims = [...this.idle.keys()]
      .filter((k) => (this.idle.get(k)?.length ?? 0) > 0 && k !== key)
      .filter((k) => rankOf(k) > rank || surplus(k) > 0)
      .sort((a, b) => surplus(b) - surplus(a) || rankOf(b) - rankOf(a));
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
