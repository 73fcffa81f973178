// How many pooled instances a source should have: enough to cover its recent take rate for the
// time one boot takes (Little's law: arrivals per ms x boot ms), plus one spare, between the
// configured minimum and maximum. A source nobody took from lately gets the minimum.

const DEFAULT_BOOT_MS = 400;
/** Rates over a shorter span than this are not trusted (one take is not "1,000 per second"). */
const MIN_SPAN_MS = 1_000;
/** Takes remembered per source (bounds memory under a flood; the rate saturates anyway). */
const MAX_TAKES = 256;

export interface DemandConfig {
  min: number;
  max: number;
  windowMs: number;
}

export class PoolDemand {
  private readonly cfg: DemandConfig;
  private readonly takes = new Map<string, number[]>();
  private readonly bootMs = new Map<string, number>();

  constructor(cfg: DemandConfig) {
    this.cfg = cfg;
  }

  record(key: string, now = Date.now()): void {
    const list = this.prune(key, now);
    list.push(now);
    if (list.length > MAX_TAKES) list.splice(0, list.length - MAX_TAKES);
    this.takes.set(key, list);
  }

  /** A pool boot of `key` took `ms` (smoothed: one slow boot on a busy machine is not the norm). */
  noteBoot(key: string, ms: number): void {
    const prev = this.bootMs.get(key);
    this.bootMs.set(key, prev === undefined ? ms : prev * 0.7 + ms * 0.3);
  }

  target(key: string, now = Date.now()): number {
    const list = this.prune(key, now);
    if (list.length === 0 || this.cfg.max <= this.cfg.min) return this.cfg.min;
    const span = Math.max(MIN_SPAN_MS, now - (list[0] ?? now));
    const perMs = list.length / span;
    const want = Math.ceil(perMs * (this.bootMs.get(key) ?? DEFAULT_BOOT_MS)) + 1;
    return Math.min(this.cfg.max, Math.max(this.cfg.min, want));
  }

  private prune(key: string, now: number): number[] {
    const list = this.takes.get(key) ?? [];
    const from = now - this.cfg.windowMs;
    let drop = 0;
    while (drop < list.length && (list[drop] ?? 0) < from) drop++;
    if (drop > 0) list.splice(0, drop);
    if (list.length === 0) this.takes.delete(key);
    return list;
  }
}
