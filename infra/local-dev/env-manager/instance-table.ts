// The table of live instances: who holds each and until when. It enforces the instance cap when a
// create is admitted and each instance's TTL (a reaper destroys expired entries); a dead instance
// stays listed until destroyed or expired, so callers can see it died. Kept apart from manager.ts
// so this bookkeeping reads without the boot and snapshot paths around it.
import type { InstanceSummary } from "../../../src/clients/contracts/env-manager.ts";
import { EnvError } from "./errors.ts";
import type { Instance } from "./instance.ts";

export interface LiveInstance {
  instance: Instance;
  createdAt: number;
  expiresAt: number;
  /** The caller's label of who holds it (the Worker's job id), for orphan sweeps. */
  owner: string | null;
}

export class InstanceTable {
  private readonly live = new Map<string, LiveInstance>();
  private readonly maxInstances: number;
  private readonly reaper: NodeJS.Timeout;

  constructor(opts: { maxInstances: number; reapIntervalMs: number }) {
    this.maxInstances = opts.maxInstances;
    this.reaper = setInterval(() => void this.reap(), opts.reapIntervalMs);
    this.reaper.unref();
  }

  get size(): number {
    return this.live.size;
  }

  /** The entry of `id`, or 404 instance_not_found. */
  get(id: string): LiveInstance {
    const entry = this.live.get(id);
    if (!entry) throw new EnvError(404, "instance_not_found", `instance ${id} does not exist`);
    return entry;
  }

  find(id: string): LiveInstance | undefined {
    return this.live.get(id);
  }

  ids(): string[] {
    return [...this.live.keys()];
  }

  instances(): Instance[] {
    return [...this.live.values()].map((l) => l.instance);
  }

  /** Every live instance and its owner (GET /v1/instances). */
  list(): InstanceSummary[] {
    return [...this.live.values()].map(({ instance, createdAt, expiresAt, owner }) => ({
      instance_id: instance.id,
      state: instance.status === "booting" ? "restarting" : instance.status,
      owner,
      created_at: new Date(createdAt).toISOString(),
      expires_at: new Date(expiresAt).toISOString(),
    }));
  }

  /**
   * Throws 429 instance_limit when the running instances plus the `pending` creates fill the cap,
   * with a retry-after of when the soonest entry expires (1 to 60 s).
   */
  admit(pending: number): void {
    const running = [...this.live.values()].filter((l) => l.instance.status !== "dead").length;
    if (running + pending < this.maxInstances) return;
    let soonest = Number.POSITIVE_INFINITY;
    for (const l of this.live.values()) soonest = Math.min(soonest, l.expiresAt);
    const retry = Number.isFinite(soonest) ? Math.ceil((soonest - Date.now()) / 1000) : 5;
    throw new EnvError(
      429,
      "instance_limit",
      `all ${this.maxInstances} instances are in use; retry later`,
      Math.min(Math.max(retry, 1), 60),
    );
  }

  register(instance: Instance, ttlMs: number, owner: string | null): void {
    const now = Date.now();
    this.live.set(instance.id, { instance, createdAt: now, expiresAt: now + ttlMs, owner });
    instance.onDeath = () => {
      // Kept in the table (state "dead") until destroyed or expired, so callers can see it died.
    };
  }

  async destroy(id: string): Promise<boolean> {
    const entry = this.live.get(id);
    if (!entry) return false;
    this.live.delete(id);
    await entry.instance.destroy();
    return true;
  }

  stopReaping(): void {
    clearInterval(this.reaper);
  }

  private async reap(): Promise<void> {
    const now = Date.now();
    for (const [id, l] of this.live) {
      if (l.expiresAt <= now) await this.destroy(id).catch(() => {});
    }
  }
}
