// The metric buffer of one isolate: deltas aggregated per series (name + labels) since the last
// flush. Memory is bounded by the number of series, not by traffic: past MAX_SERIES a new series
// is dropped and counted in `sql_runner_telemetry_dropped_total{what="series"}`.
import { type LabelsOf, METRICS, type MetricDef, type MetricName } from "./catalog.ts";

export const MAX_SERIES = 500;
/** A label value longer than this is cut: values come from code-side enums, never user text. */
const MAX_LABEL_CHARS = 64;

export interface SeriesPoint {
  name: MetricName;
  def: MetricDef;
  labels: Record<string, string>;
  /** Counter / up-down delta. */
  value: number;
  /** Histogram: one count per bucket plus the +Inf bucket, with sum and count. */
  buckets: number[] | null;
  sum: number;
  count: number;
}

function keyOf(name: string, labels: Record<string, string>): string {
  return `${name}${JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)))}`;
}

export class MetricRegistry {
  #series = new Map<string, SeriesPoint>();
  #dropped = 0;
  #startedAt = Date.now();

  /** Adds `value` to a counter / up-down series, or observes it in a histogram. */
  record<N extends MetricName>(name: N, labels: LabelsOf<N>, value: number): void {
    if (!Number.isFinite(value)) return;
    const def: MetricDef = METRICS[name];
    const clean: Record<string, string> = {};
    for (const label of def.labels) {
      const raw = (labels as Record<string, string>)[label];
      clean[label] = String(raw ?? "").slice(0, MAX_LABEL_CHARS);
    }
    const key = keyOf(name, clean);
    let point = this.#series.get(key);
    if (!point) {
      if (this.#series.size >= MAX_SERIES) {
        this.#dropped += 1;
        return;
      }
      point = {
        name,
        def,
        labels: clean,
        value: 0,
        buckets: def.buckets ? new Array<number>(def.buckets.length + 1).fill(0) : null,
        sum: 0,
        count: 0,
      };
      this.#series.set(key, point);
    }
    if (point.buckets && def.buckets) {
      let i = def.buckets.findIndex((bound) => value <= bound);
      if (i < 0) i = def.buckets.length;
      point.buckets[i] = (point.buckets[i] ?? 0) + 1;
      point.sum += value;
      point.count += 1;
    } else {
      point.value += value;
    }
  }

  get size(): number {
    return this.#series.size;
  }

  /** Takes every delta since the last drain (the registry starts empty again). */
  drain(): { points: SeriesPoint[]; dropped: number; startMs: number; endMs: number } {
    const points = [...this.#series.values()];
    const dropped = this.#dropped;
    const startMs = this.#startedAt;
    this.#series = new Map();
    this.#dropped = 0;
    this.#startedAt = Date.now();
    if (dropped > 0) {
      points.push({
        name: "sql_runner_telemetry_dropped_total",
        def: METRICS.sql_runner_telemetry_dropped_total,
        labels: { what: "series" },
        value: dropped,
        buckets: null,
        sum: 0,
        count: 0,
      });
    }
    return { points, dropped, startMs, endMs: Date.now() };
  }

  /** Puts back deltas a failed export did not deliver (merged, still within MAX_SERIES). */
  restore(points: SeriesPoint[]): void {
    for (const p of points) {
      const key = keyOf(p.name, p.labels);
      const have = this.#series.get(key);
      if (!have) {
        if (this.#series.size >= MAX_SERIES) {
          this.#dropped += 1;
          continue;
        }
        this.#series.set(key, { ...p, buckets: p.buckets ? [...p.buckets] : null });
        continue;
      }
      have.value += p.value;
      have.sum += p.sum;
      have.count += p.count;
      if (have.buckets && p.buckets) {
        for (let i = 0; i < have.buckets.length; i++) {
          have.buckets[i] = (have.buckets[i] ?? 0) + (p.buckets[i] ?? 0);
        }
      }
    }
  }
}
