// For .ci/run's `promtool check metrics`: when SQL_RUNNER_METRICS_DUMP names a directory, the
// integration run's global setup scrapes the telemetry exporter (the Worker's metrics after every
// job of the run), env-manager and snapshot-cache before it stops them, and writes each
// exposition to `<dir>/<service>.prom`.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";

export interface ScrapeTarget {
  service: string;
  url: string;
  token?: string;
}

export async function dumpMetrics(dir: string, targets: ScrapeTarget[]): Promise<void> {
  for (const t of targets) {
    const res = await fetch(`${t.url}/metrics`, {
      headers: t.token ? { authorization: `Bearer ${t.token}` } : {},
    });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`scrape of ${t.service}: HTTP ${res.status} ${text}`);
    await writeFile(join(dir, `${t.service}.prom`), text);
  }
}
