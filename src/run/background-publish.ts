// Layers off the job's critical path: the job waits only for the snapshot (the server stops, the
// changed files are staged, the server starts again); env-manager writes chunks and manifest in the
// background, and this module publishes each layer to snapshot-cache once it is written, in chain
// order, while the job replays its next steps. `settle()` waits for every pending publish: after the
// tail, before the head (waiting jobs then find the layer when the single-flight lease is released,
// and a run resumed after a reset boots from it), and before handing over to the next alarm.
import type { SnapshotResponse } from "../clients/contracts/env-manager.ts";
import { AppError } from "../errors.ts";
import { roundMs } from "../jobs/model.ts";
import type { PlannedStep } from "../planner/plan.ts";
import { rememberTail } from "../warm/tail-memory.ts";
import { checkAborted } from "./failure.ts";
import type { JobRun } from "./job-run.ts";
import { withRetry } from "./platform.ts";

/** Each long poll for a background write waits at most this long (env-manager caps it at 25 s). */
const WRITE_POLL_MS = 20_000;

export class LayerPublisher {
  private readonly run: JobRun;
  private chain: Promise<void> = Promise.resolve();
  /** Layer id published for the last step that got one (the winner when another job won). */
  lastPublished: string | null = null;

  constructor(run: JobRun) {
    this.run = run;
  }

  /** Queues the publish of a snapshot taken after `step` (its layer may still be being written). */
  add(snap: SnapshotResponse, step: PlannedStep, parent: string | null): void {
    const next = this.chain.then(() => this.publish(snap, step, parent));
    this.chain = next.catch(() => {});
  }

  /** Resolves once every queued publish has ended (published, or given up with a warning). */
  settle(): Promise<void> {
    return this.chain;
  }

  private async publish(snap: SnapshotResponse, step: PlannedStep, parent: string | null) {
    const { run } = this;
    try {
      const newBytes = snap.written ? snap.new_bytes : await this.waitWritten(snap.layer_id);
      if (newBytes === undefined) return;
      const published = await run.platform.cache.publish({
        tail_hash: step.hash,
        layer_id: snap.layer_id,
        parent_hash: parent,
        engine: snap.engine,
        settings_digest: snap.settings_digest,
        size_bytes: snap.size_bytes,
        ttl_seconds: run.job.snapshot_ttl,
      });
      this.lastPublished = published.layer.layer_id;
      // A step's hash is the tail hash of the tail that ends with it: the next job with that
      // tail in this isolate boots from this layer without waiting for a lookup.
      rememberTail(step.hash, published.layer.layer_id);
      run.emit("step", {
        index: step.index,
        path: step.path,
        state: "published",
        layer_id: published.layer.layer_id,
        size_bytes: snap.size_bytes,
        ...(newBytes === null ? {} : { new_bytes: newBytes }),
        ms: roundMs(snap.ms),
      });
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      run.emit("log", {
        level: "warning",
        message: `layer after step ${step.index} not published (${err.code})`,
      });
    }
  }

  /** new_bytes once written; undefined (with a warning) when the write failed or was lost. */
  private async waitWritten(layerId: string): Promise<number | null | undefined> {
    const { run } = this;
    for (;;) {
      checkAborted(run.signal);
      const wait = Math.max(0, Math.min(WRITE_POLL_MS, run.deadline - Date.now()));
      const state = await withRetry(
        "layer write",
        () => run.platform.env.layerWrite(layerId, wait),
        run.countRetry,
        run.signal,
      );
      if (state.state === "written") return state.new_bytes;
      if (state.state !== "writing" || Date.now() >= run.deadline) {
        run.emit("log", { level: "warning", message: `layer ${layerId} was not written` });
        return undefined;
      }
    }
  }
}
