// The sweep as the Worker runs it (Cron Trigger, `POST /v1/admin/sweep`): its dependencies from
// the bindings, one JSON log line with what it deleted.
import { platformFor } from "../run/platform.ts";
import { recordMetric } from "../telemetry/telemetry.ts";
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
  recordMetric("sql_runner_gc_deleted_total", { kind: "file" }, report.files_deleted);
  recordMetric("sql_runner_gc_deleted_total", { kind: "layer" }, report.layers_deleted);
  recordMetric("sql_runner_gc_deleted_total", { kind: "instance" }, report.instances_destroyed);
  recordMetric("sql_runner_gc_duration_seconds", {}, report.ms / 1000);
  const line = JSON.stringify({
    level: report.errors.length ? "warn" : "info",
    event: "sweep",
    ...report,
  });
  if (report.errors.length) console.warn(line);
  else console.log(line);
  return report;
}
