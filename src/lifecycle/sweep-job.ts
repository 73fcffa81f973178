// The sweep as the Worker runs it (Cron Trigger, `POST /v1/admin/sweep`): its dependencies from
// the bindings, one JSON log line with what it deleted.
import { platformFor } from "../run/platform.ts";
import { type SweepReport, sweep } from "./sweep.ts";

export async function runSweep(env: Env, now = Date.now()): Promise<SweepReport> {
  const platform = platformFor(env);
  const report = await sweep({
    now,
    fileShard: (name) => env.FILE_INDEX.get(env.FILE_INDEX.idFromName(name)),
    holdsInstance: (owner, instanceId) =>
      env.JOBS.get(env.JOBS.idFromName(owner)).holdsInstance(instanceId),
    envManager: platform.env,
    snapshotCache: platform.cache,
  });
  const line = JSON.stringify({
    level: report.errors.length ? "warn" : "info",
    event: "sweep",
    ...report,
  });
  if (report.errors.length) console.warn(line);
  else console.log(line);
  return report;
}
