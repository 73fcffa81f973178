// The manifest's `engine` and `extensions` against what the platform offers (env-manager's
// /healthz `engines`, kept per isolate for a minute): the exact engine a job runs on, or a 422
// `unsupported_engine` / `unknown_extension` / `unsupported_extension_version` naming the manifest
// field, at create (before any SQL runs) and again when the run boots its base image.
import {
  checkExtensions,
  type EngineOffer,
  type EngineProblem,
  selectEngine,
  unsupportedEngine,
} from "../clients/contracts/engines.ts";
import type { EnvManagerClient } from "../clients/env-manager.ts";
import { AppError } from "../errors.ts";
import { MANIFEST_PATH } from "../planner/manifest.ts";

export interface EngineRequest {
  engine: string;
  extensions: Readonly<Record<string, string>>;
}

/** How long one /healthz answer stands for the platform's engines (they change on redeploy). */
export const OFFERS_TTL_MS = 60_000;
const offersCache = new Map<string, { at: number; offers: Promise<EngineOffer[]> }>();

/** The engines the platform behind `key` (its URL) offers; one /healthz per minute per isolate. */
export function platformOffers(
  key: string,
  health: EnvManagerClient["health"],
  now = Date.now(),
): Promise<EngineOffer[]> {
  const known = offersCache.get(key);
  if (known && now - known.at < OFFERS_TTL_MS) return known.offers;
  const offers = health().then((h) => h.engines);
  offersCache.set(key, { at: now, offers });
  offers.catch(() => {
    if (offersCache.get(key)?.offers === offers) offersCache.delete(key);
  });
  return offers;
}

function rejection(problem: EngineProblem): AppError {
  return new AppError(422, problem.code, `${MANIFEST_PATH}: ${problem.message}`, {
    field: problem.field,
  });
}

/** The offer `request` selects, or the 422 that says why none does. */
export function resolveEngine(offers: readonly EngineOffer[], request: EngineRequest): EngineOffer {
  const offer = selectEngine(request.engine, offers);
  if (!offer) throw rejection(unsupportedEngine(request.engine, offers));
  const problem = checkExtensions(offer, request.extensions);
  if (problem) throw rejection(problem);
  return offer;
}

/**
 * The check at create: throws the 422 when the platform says no. When the platform cannot be
 * asked, the job is accepted and the same check runs again when its run boots (then it fails with
 * the same code, or `env_unavailable`).
 */
export async function checkEngineAtCreate(
  key: string,
  health: EnvManagerClient["health"],
  request: EngineRequest,
): Promise<void> {
  let offers: EngineOffer[];
  try {
    offers = await platformOffers(key, health);
  } catch {
    return;
  }
  resolveEngine(offers, request);
}
