// Plans the integration Worker defines on top of the built-in ones (its `PLANS` binding, set in
// vitest.config.ts), so a test crosses a plan's limit by naming the plan in `X-User-Plan`
// instead of producing 64 queued jobs or a 1 GiB table. The built-in free and premium are untouched.
// vitest.config.ts (node) imports this file, so it does not import src/ (whose plans.ts needs the
// Worker's types); the Worker checks the JSON with its PlanLimits schema (a bad entry: every
// create of the test Worker fails with 500, loudly).

const DAY = 24 * 3600;
// The TTL limits of the built-in free plan, so the requests' default ttls pass.
const base = { max_job_ttl: 7 * DAY, max_snapshot_ttl: 7 * DAY, max_extension: 7 * DAY };

export const MiB = 1024 * 1024;

export const TEST_PLANS = {
  /** One job running and one waiting per user: the third create is refused. */
  "test-queue": { ...base, max_concurrent_jobs: 1, max_queued_jobs: 1 },
  /** Each instance's data directory may reach 64 MiB (a fresh one is ~27 MB). */
  "test-small-data": { ...base, max_concurrent_jobs: 4, max_data_bytes: 64 * MiB },
};

export type TestPlan = keyof typeof TEST_PLANS;

/** The `PLANS` var's value for the test Worker. */
export const TEST_PLANS_VAR = JSON.stringify(TEST_PLANS);

/** The header that puts a request under `plan`. */
export function planHeader(plan: TestPlan): Record<string, string> {
  return { "x-user-plan": plan };
}
