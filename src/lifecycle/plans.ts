// TTL plans: what a user's plan (named by the gateway in `X-User-Plan`, default `free`) allows.
// The plans are configuration (the `PLANS` JSON var), so an operator changes limits without a
// deploy of code; a plan the var does not define falls back to the defaults below.
import { z } from "zod";
import { AppError } from "../errors.ts";
import { checkWebhookUrl } from "./webhooks/target.ts";

const DAY = 24 * 3600;

export const PlanLimits = z.strictObject({
  /** Longest `job_ttl` at create, seconds. */
  max_job_ttl: z.number().int().min(60),
  /** Longest `snapshot_ttl` at create, and longest layer pin by an extension, seconds. */
  max_snapshot_ttl: z.number().int().min(60),
  /** How far past now an extension may move a job's `expires_at`, seconds (0: no extension). */
  max_extension: z.number().int().min(0),
  /** Jobs of one user running at once (the admission queue holds the rest). */
  max_concurrent_jobs: z.number().int().min(1),
  /**
   * Jobs of one user waiting for a slot at once; past it a create answers `429 too_many_jobs`
   * (optional in `PLANS`: 16 x `max_concurrent_jobs` when left out).
   */
  max_queued_jobs: z.number().int().min(0).optional(),
  /**
   * Bytes the data directory of each instance a job runs on may reach (tables, indexes, WAL, temp
   * files), sent to env-manager with the instance's create: past it env-manager ends the job's
   * sessions and the job fails with `quota_exceeded`. env-manager's own configured quota caps it
   * (a plan can lower it, not raise it); left out, that quota alone applies.
   */
  max_data_bytes: z.number().int().min(1).optional(),
});
export type PlanLimits = z.infer<typeof PlanLimits>;

export const DEFAULT_PLANS: Readonly<Record<string, PlanLimits>> = {
  free: {
    max_job_ttl: 7 * DAY,
    max_snapshot_ttl: 7 * DAY,
    max_extension: 7 * DAY,
    max_concurrent_jobs: 4,
    max_queued_jobs: 64,
  },
  premium: {
    max_job_ttl: 30 * DAY,
    max_snapshot_ttl: 90 * DAY,
    max_extension: 90 * DAY,
    max_concurrent_jobs: 32,
    max_queued_jobs: 512,
  },
};

export const PLAN_HEADER = "X-User-Plan";
export const DEFAULT_PLAN = "free";
const PlanName = z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/);

const parsedVars = new Map<string, Record<string, PlanLimits>>();

/** The plans of a deployment: `DEFAULT_PLANS` overridden per name by the `PLANS` var. */
export function plansOf(raw: string | undefined): Record<string, PlanLimits> {
  const key = raw ?? "";
  const known = parsedVars.get(key);
  if (known) return known;
  let overrides: Record<string, PlanLimits> = {};
  if (key.trim()) {
    const parsed = z.record(PlanName, PlanLimits).safeParse(JSON.parse(key));
    if (!parsed.success) throw new AppError(500, "internal", "the PLANS var is not valid");
    overrides = parsed.data;
  }
  const plans = { ...DEFAULT_PLANS, ...overrides };
  parsedVars.set(key, plans);
  return plans;
}

/** The plan a request names (header value), checked against the deployment's plans. */
export function resolvePlan(
  header: string | undefined | null,
  raw: string | undefined,
): { name: string; limits: PlanLimits } {
  const name = header?.trim() || DEFAULT_PLAN;
  const limits = plansOf(raw)[name];
  if (!limits) {
    throw new AppError(422, "unknown_plan", `${PLAN_HEADER} names no plan: ${name}`, {
      plans: Object.keys(plansOf(raw)),
    });
  }
  return { name, limits };
}

/** The plan's queue cap (its `max_queued_jobs`, or 16 x `max_concurrent_jobs`). */
export function queueCap(limits: PlanLimits): number {
  return limits.max_queued_jobs ?? 16 * limits.max_concurrent_jobs;
}

/**
 * The instance quota a job of plan `name` asks env-manager for (undefined: none of its own). A
 * plan the deployment no longer defines (PLANS changed since the create) asks for none.
 */
export function instanceQuotaOf(
  name: string,
  raw: string | undefined,
): { max_data_bytes: number } | undefined {
  const maxData = plansOf(raw)[name]?.max_data_bytes;
  return maxData === undefined ? undefined : { max_data_bytes: maxData };
}

/** Throws `403 plan_limit` when `value` exceeds the plan's `limit`. */
export function checkPlanLimit(
  plan: string,
  field: string,
  value: number,
  limitName: keyof PlanLimits,
  limit: number,
): void {
  if (value <= limit) return;
  throw new AppError(
    403,
    "plan_limit",
    `${field} ${value} is over the ${plan} plan's ${limitName} of ${limit}`,
    { plan, field, limit_name: limitName, limit },
  );
}

/**
 * What a create must satisfy before it reaches the job object: its plan's ttl limits
 * (`403 plan_limit`) and a webhook URL the SSRF guard accepts (`422 invalid_webhook`).
 * Answers the plan's name, which the job keeps.
 */
export function admitCreate(
  env: Pick<Env, "PLANS" | "WEBHOOK_ALLOW_LOCAL">,
  planHeader: string | undefined,
  body: { job_ttl: number; snapshot_ttl: number; webhook?: { url: string } | undefined },
): string {
  const { name, limits } = resolvePlan(planHeader, env.PLANS);
  checkPlanLimit(name, "job_ttl", body.job_ttl, "max_job_ttl", limits.max_job_ttl);
  checkPlanLimit(
    name,
    "snapshot_ttl",
    body.snapshot_ttl,
    "max_snapshot_ttl",
    limits.max_snapshot_ttl,
  );
  if (body.webhook) checkWebhookUrl(body.webhook.url, env.WEBHOOK_ALLOW_LOCAL === "true");
  return name;
}
