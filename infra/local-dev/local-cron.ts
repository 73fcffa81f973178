// `wrangler dev` never fires Cron Triggers by itself: locally, this fires the Worker's scheduled
// handler on the schedules wrangler.toml names, through wrangler's test endpoint
// (`/__scheduled?cron=...`, enabled by `--test-scheduled`), so `npm start` sweeps like production.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Cron } from "croner";

/** The `crons = [...]` of wrangler.toml's `[triggers]`. */
export function cronSchedules(root: string): string[] {
  const toml = readFileSync(join(root, "wrangler.toml"), "utf8");
  const line = /^crons\s*=\s*\[(.*)\]\s*$/m.exec(toml);
  if (!line?.[1]) return [];
  return [...line[1].matchAll(/"([^"]+)"/g)].map((m) => m[1] as string);
}

/** Fires the scheduled handler of the Worker at `url` for one cron expression. */
export async function fireScheduled(url: string, cron: string): Promise<number> {
  const res = await fetch(`${url}/__scheduled?cron=${encodeURIComponent(cron)}`);
  await res.body?.cancel();
  return res.status;
}

/** Starts one timer per schedule; returns a function that stops them. */
export function startLocalCron(
  url: string,
  schedules: readonly string[],
  log: (line: string) => void,
): () => void {
  const jobs = schedules.map(
    (cron) =>
      new Cron(cron, { protect: true }, async () => {
        try {
          const status = await fireScheduled(url, cron);
          log(`local cron ${cron}: scheduled handler answered ${status}`);
        } catch (err) {
          log(`local cron ${cron}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }),
  );
  return () => {
    for (const job of jobs) job.stop();
  };
}
