// The Cron Trigger's global sweep. Job storage needs none (each JobObject deletes itself at its
// job_ttl from its own alarm); layers expire by snapshot_ttl in snapshot-cache, whose GC we kick.
import { platformFor } from "./platform.ts";

export async function sweep(env: Env): Promise<{ deleted: number } | { error: string }> {
  try {
    const gc = await platformFor(env).cache.gc();
    console.log(JSON.stringify({ event: "sweep", deleted_layers: gc.deleted.length }));
    return { deleted: gc.deleted.length };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    console.warn(JSON.stringify({ event: "sweep_failed", message }));
    return { error: message };
  }
}
