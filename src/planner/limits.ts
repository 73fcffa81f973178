// Size limits of a project tree. Defaults live here, in one place; every call may override any of
// them (`planJob({ limits: { maxFiles: 100 } })`).

export interface PlannerLimits {
  /** Files in the tree, the manifest included. */
  maxFiles: number;
  /** UTF-8 bytes of one normalized path. */
  maxPathBytes: number;
  /** Segments of one path (`init/a.sql` has depth 2). */
  maxDepth: number;
  /** UTF-8 bytes of one file as sent (before BOM/CRLF normalization). */
  maxFileBytes: number;
  /** UTF-8 bytes of all files together. */
  maxTotalBytes: number;
}

export const DEFAULT_PLANNER_LIMITS: Readonly<PlannerLimits> = Object.freeze({
  maxFiles: 10_000,
  maxPathBytes: 512,
  maxDepth: 16,
  maxFileBytes: 16 * 1024 * 1024,
  maxTotalBytes: 64 * 1024 * 1024,
});

/** Defaults overridden by the given fields; a non-positive or non-integer override is a bug. */
export function resolveLimits(overrides: Partial<PlannerLimits> = {}): PlannerLimits {
  const limits = { ...DEFAULT_PLANNER_LIMITS };
  for (const key of Object.keys(limits) as (keyof PlannerLimits)[]) {
    const value = overrides[key];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new RangeError(`planner limit ${key} must be a positive integer, got ${value}`);
    }
    limits[key] = value;
  }
  return limits;
}
