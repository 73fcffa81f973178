// The snapshot flow of one job, run from the JobObject's alarm (placeholder until the platform
// clients land).
import type { Emit } from "./commands.ts";
import { finishJob } from "./finish.ts";
import type { JobStore } from "./job-store.ts";

export interface ActiveRun {
  controller: AbortController;
}

export interface ExecHost {
  env: Env;
  ctx: DurableObjectState;
  store: JobStore;
  emit: Emit;
  /** Records (or clears) the run in progress, so cancel can abort it. */
  setActive(run: ActiveRun | null): void;
}

export async function executeJob(host: ExecHost): Promise<void> {
  finishJob(host.store, host.emit, "failed", {
    code: "internal",
    message: "execution is not available yet",
  });
}

export async function cleanupInstance(_env: Env, _store: JobStore, _emit: Emit): Promise<void> {}
