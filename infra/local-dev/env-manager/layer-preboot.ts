// Which fresh layers the warm pool pre-boots: only the latest of each instance, once that instance
// has taken no snapshot for a short while. A job with a layer after every step snapshots its
// instance once per step; pre-booting each of those layers (two instances per source) kept the
// pool booting layers nobody would ask for, taking the CPU from the job itself. The layer the next
// job with the same chain needs is the job's last one, so the others are skipped.

export interface PrebootDeps {
  /** Makes the layer a pool source (WarmPool.prefer). */
  prefer(sourceKey: string): void;
  /** Quiet time after an instance's last snapshot before its layer is pre-booted. */
  delayMs: number;
  setTimer?: (fn: () => void, ms: number) => { unref?(): void };
  clearTimer?: (t: unknown) => void;
}

export class LatestLayerPreboot {
  private readonly deps: PrebootDeps;
  /** Per instance: the timer that will pre-boot the layer of its latest snapshot. */
  private readonly pending = new Map<string, unknown>();

  constructor(deps: PrebootDeps) {
    this.deps = deps;
  }

  /** A snapshot of `instanceId` begins: an earlier layer of it is no longer the one to pre-boot. */
  snapshotStarted(instanceId: string): void {
    this.cancel(instanceId);
  }

  /** The layer of the instance's latest snapshot is stored (bootable): pre-boot it if no newer comes. */
  stored(instanceId: string, layerId: string): void {
    this.cancel(instanceId);
    const set = this.deps.setTimer ?? setTimeout;
    const timer = set(() => {
      this.pending.delete(instanceId);
      this.deps.prefer(`layer:${layerId}`);
    }, this.deps.delayMs);
    timer.unref?.();
    this.pending.set(instanceId, timer);
  }

  close(): void {
    for (const id of [...this.pending.keys()]) this.cancel(id);
  }

  private cancel(instanceId: string): void {
    if (!this.pending.has(instanceId)) return;
    const clear = this.deps.clearTimer ?? ((t) => clearTimeout(t as NodeJS.Timeout));
    clear(this.pending.get(instanceId));
    this.pending.delete(instanceId);
  }
}
