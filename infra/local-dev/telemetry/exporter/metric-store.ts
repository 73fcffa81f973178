// What the exporter keeps of the OTLP metrics it received: one running series per name + labels
// (DELTA points are added up, CUMULATIVE ones replace), exposed through a prom-client Registry so
// the text exposition is prom-client's, not ours. Bounded: MAX_SERIES series in all; points past
// it are refused and counted in `otlp_exporter_refused_points_total`.
import client from "prom-client";
import { flatten, type Metric } from "./otlp-schema.ts";

export const MAX_SERIES = 10_000;
const DELTA = 1;

type Kind = "counter" | "gauge" | "histogram";

interface Series {
  labels: Record<string, string>;
  value: number;
  bounds: number[];
  buckets: number[];
  sum: number;
  count: number;
}

interface Family {
  name: string;
  help: string;
  kind: Kind;
  series: Map<string, Series>;
}

const labelKey = (labels: Record<string, string>) =>
  JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));

/** A prom-client metric whose values come from a Family (prom-client formats them). */
function promMetric(family: Family) {
  return {
    name: family.name,
    help: family.help || family.name,
    type: family.kind,
    aggregator: "sum" as const,
    get: async () => ({
      name: family.name,
      help: family.help || family.name,
      type: family.kind,
      aggregator: "sum",
      values: [...family.series.values()].flatMap((s) => {
        if (family.kind !== "histogram") return [{ labels: s.labels, value: s.value }];
        let running = 0;
        const rows = s.bounds.map((le, i) => {
          running += s.buckets[i] ?? 0;
          return {
            metricName: `${family.name}_bucket`,
            labels: { ...s.labels, le: String(le) },
            value: running,
          };
        });
        running += s.buckets[s.bounds.length] ?? 0;
        rows.push({
          metricName: `${family.name}_bucket`,
          labels: { ...s.labels, le: "+Inf" },
          value: running,
        });
        return [
          ...rows,
          { metricName: `${family.name}_sum`, labels: s.labels, value: s.sum },
          { metricName: `${family.name}_count`, labels: s.labels, value: s.count },
        ];
      }),
    }),
    reset: () => family.series.clear(),
  };
}

export class MetricStore {
  readonly registry = new client.Registry();
  readonly #families = new Map<string, Family>();
  #seriesCount = 0;
  readonly #refused = new client.Counter({
    name: "otlp_exporter_refused_points_total",
    help: "OTLP points the exporter could not keep (series cap, kind or bucket mismatch).",
    labelNames: ["reason"],
    registers: [this.registry],
  });

  #family(name: string, help: string, kind: Kind): Family | null {
    const have = this.#families.get(name);
    if (have) return have.kind === kind ? have : null;
    const family: Family = { name, help, kind, series: new Map() };
    this.#families.set(name, family);
    this.registry.registerMetric(promMetric(family) as unknown as client.Metric);
    return family;
  }

  #series(family: Family, labels: Record<string, string>): Series | null {
    const key = labelKey(labels);
    const have = family.series.get(key);
    if (have) return have;
    if (this.#seriesCount >= MAX_SERIES) return null;
    this.#seriesCount += 1;
    const fresh: Series = { labels, value: 0, bounds: [], buckets: [], sum: 0, count: 0 };
    family.series.set(key, fresh);
    return fresh;
  }

  #refuse(reason: string, n = 1): void {
    this.#refused.inc({ reason }, n);
  }

  ingest(metric: Metric): void {
    const help = metric.description;
    if (metric.histogram) {
      const family = this.#family(metric.name, help, "histogram");
      if (!family) {
        this.#refuse("kind", metric.histogram.dataPoints.length);
        return;
      }
      const delta = metric.histogram.aggregationTemporality === DELTA;
      for (const p of metric.histogram.dataPoints) {
        const s = this.#series(family, flatten(p.attributes));
        if (!s) {
          this.#refuse("series_cap");
          continue;
        }
        if (p.bucketCounts.length !== p.explicitBounds.length + 1) {
          this.#refuse("buckets");
          continue;
        }
        const sameBounds =
          s.bounds.length === p.explicitBounds.length &&
          s.bounds.every((b, i) => b === p.explicitBounds[i]);
        if (!delta || s.count === 0 || !sameBounds) {
          if (delta && s.count > 0 && !sameBounds) {
            this.#refuse("buckets");
            continue;
          }
          s.bounds = [...p.explicitBounds];
          s.buckets = [...p.bucketCounts];
          s.sum = p.sum ?? 0;
          s.count = p.count;
          continue;
        }
        p.bucketCounts.forEach((n, i) => {
          s.buckets[i] = (s.buckets[i] ?? 0) + n;
        });
        s.sum += p.sum ?? 0;
        s.count += p.count;
      }
      return;
    }
    const sum = metric.sum;
    const points = sum?.dataPoints ?? metric.gauge?.dataPoints ?? [];
    const kind: Kind = sum?.isMonotonic ? "counter" : "gauge";
    const family = this.#family(metric.name, help, kind);
    if (!family) {
      this.#refuse("kind", points.length);
      return;
    }
    const add = sum !== undefined && sum.aggregationTemporality === DELTA;
    for (const p of points) {
      const s = this.#series(family, flatten(p.attributes));
      if (!s) {
        this.#refuse("series_cap");
        continue;
      }
      const v = p.asDouble ?? Number(p.asInt ?? 0);
      s.value = add ? s.value + v : v;
    }
  }

  async exposition(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }
}
