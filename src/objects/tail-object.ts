// TailObject: one Durable Object per uncached tail hash, used as a lease so that concurrent jobs
// with the same tail replay it once. The first job to ask holds the lease and replays; the others
// are told to wait and look the layer up again. A lease expires on its own, so a leader that died
// never blocks the others for longer than its deadline.
import { DurableObject } from "cloudflare:workers";

export interface LeaseAnswer {
  granted: boolean;
  /** The job that holds the lease. */
  holder: string;
  /** When the current lease ends (epoch ms). */
  expires_at: number;
}

export class TailObject extends DurableObject<Env> {
  #holder: string | null = null;
  #expiresAt = 0;

  /** Grants the lease to `jobId` if it is free, expired, or already held by `jobId`. */
  async acquire(jobId: string, ttlMs: number): Promise<LeaseAnswer> {
    const now = Date.now();
    if (this.#holder === null || this.#holder === jobId || this.#expiresAt <= now) {
      this.#holder = jobId;
      this.#expiresAt = now + ttlMs;
      return { granted: true, holder: jobId, expires_at: this.#expiresAt };
    }
    return { granted: false, holder: this.#holder, expires_at: this.#expiresAt };
  }

  /** Ends the lease if `jobId` holds it (a no-op otherwise). */
  async release(jobId: string): Promise<void> {
    if (this.#holder === jobId) {
      this.#holder = null;
      this.#expiresAt = 0;
    }
  }
}
