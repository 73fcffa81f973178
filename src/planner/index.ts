// Public API of the planner: pure TypeScript (WebCrypto only), the same in workerd and Node 22.

export { normalizeContent } from "./content.ts";
export { PlannerError, type PlannerErrorCode, plannerErrorStatus } from "./errors.ts";
export { HASH_FORMAT_VERSION, sha256Hex } from "./hash.ts";
export type { IncludeRef, IncludeScanner } from "./includes.ts";
export { DEFAULT_PLANNER_LIMITS, type PlannerLimits } from "./limits.ts";
export {
  DEFAULT_ENGINE,
  DEFAULT_ISOLATED,
  DEFAULT_STAGES,
  MANIFEST_PATH,
} from "./manifest.ts";
export { compareNatural, comparePaths } from "./natural-sort.ts";
export { type Plan, type PlanConfig, type PlanInput, type PlannedStep, planJob } from "./plan.ts";
export { DEFAULT_SESSION_SETTINGS, effectiveSettings } from "./settings.ts";
export {
  type EtagResolver,
  type FileEntry,
  type ProjectTree,
  type ValidatedTree,
  validateTree,
} from "./tree.ts";
