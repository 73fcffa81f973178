/// <reference path="./parse-prometheus-text-format.d.ts" />
// Reading a Prometheus text exposition in tests with a real parser (parse-prometheus-text-format).
// That parser folds a histogram's lines into one sample and loses their labels when a histogram
// has labels besides `le`, so `samples()` also parses the text once more with the histogram TYPE
// lines taken out: every `_bucket`, `_sum` and `_count` line is then a plain sample with labels.
import parsePrometheusTextFormat, { type PromFamily } from "parse-prometheus-text-format";

export interface Exposition {
  families: PromFamily[];
  /** The value of the sample `name{labels}` (labels must match exactly), or undefined. */
  value(name: string, labels?: Record<string, string>): number | undefined;
  /** The sum over the samples of `name` whose labels include `labels`. */
  total(name: string, labels?: Record<string, string>): number;
}

export function parseExposition(text: string): Exposition {
  const families = parsePrometheusTextFormat(text);
  const flat = parsePrometheusTextFormat(text.replace(/^# TYPE \S+ histogram$/gm, ""));
  // Without TYPE lines each run of same-named lines is a family of its own: gather them all.
  const samples = (name: string) => flat.filter((f) => f.name === name).flatMap((f) => f.metrics);
  const matches = (have: Record<string, string> | undefined, want: Record<string, string>) =>
    Object.entries(want).every(([k, v]) => have?.[k] === v);
  return {
    families,
    value(name, labels = {}) {
      const hit = samples(name).find(
        (s) =>
          matches(s.labels, labels) &&
          Object.keys(s.labels ?? {}).length === Object.keys(labels).length,
      );
      return hit?.value === undefined ? undefined : Number(hit.value);
    },
    total(name, labels = {}) {
      return samples(name)
        .filter((s) => matches(s.labels, labels))
        .reduce((sum, s) => sum + Number(s.value ?? 0), 0);
    },
  };
}
