// What a job may tell its user about layer reuse (issue 9, "cross-tenant oracles"). Layers are
// shared across users (that is the product: a tail one user built boots another's job), but a
// user who guesses a tail and is told `reused_steps: 3` has learned that someone ran it. So the
// report counts a reused step as reused only when the same user ran that prefix before (their own
// earlier job, of any outcome); other reused steps are reported exactly as replayed ones. The job
// still boots from the layer: only the report changes. The ledger of prefixes a user ran is a
// TenantObject per user (src/objects/tenant-object.ts).

/** A user's ledger of tail prefixes (their hashes h_i) they ran. */
export interface TenantLedger {
  /** The longest prefix of `hashes` (h_1..h_k, in order) whose last hash the user ran: k or less. */
  ownedPrefix(hashes: string[]): Promise<number>;
  /** The user ran these prefixes (h_1..h_k of one tail). */
  record(hashes: string[]): Promise<void>;
}

/**
 * Reused steps the report may show: the user's own prefix among the steps this run reused (not
 * counting steps an earlier alarm of this job replayed, which are replayed ones). A ledger that
 * cannot be read shows none: the safe side of the report, not a failure of the job.
 */
export async function reportableReuse(
  ledger: TenantLedger | null,
  prefixHashes: string[],
): Promise<number> {
  if (!ledger || prefixHashes.length === 0) return 0;
  try {
    return Math.min(prefixHashes.length, await ledger.ownedPrefix(prefixHashes));
  } catch {
    return 0;
  }
}
