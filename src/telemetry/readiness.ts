// `GET /readyz`: can this Worker serve jobs now? Asks env-manager and snapshot-cache for their
// `/healthz` in parallel, each with a short timeout, and names the ones that did not answer 2xx.
// (`/healthz` stays the cheap liveness answer that touches nothing.)

export const READY_TIMEOUT_MS = 1500;

export interface Readiness {
  ready: boolean;
  checks: Record<string, { ok: boolean; ms: number; reason?: string }>;
  down: string[];
}

async function probe(
  url: string,
  token: string,
): Promise<{ ok: boolean; ms: number; reason?: string }> {
  const t0 = Date.now();
  try {
    const res = await fetch(new URL("/healthz", url), {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(READY_TIMEOUT_MS),
    });
    await res.body?.cancel();
    return res.ok
      ? { ok: true, ms: Date.now() - t0 }
      : { ok: false, ms: Date.now() - t0, reason: `answered ${res.status}` };
  } catch (err) {
    const timedOut = err instanceof Error && err.name === "TimeoutError";
    return {
      ok: false,
      ms: Date.now() - t0,
      reason: timedOut ? `no answer within ${READY_TIMEOUT_MS} ms` : "connection failed",
    };
  }
}

export async function checkReadiness(env: {
  ENV_MANAGER_URL: string;
  SNAPSHOT_CACHE_URL: string;
  PLATFORM_TOKEN?: string;
}): Promise<Readiness> {
  const token = env.PLATFORM_TOKEN ?? "";
  const [envManager, snapshotCache] = await Promise.all([
    probe(env.ENV_MANAGER_URL, token),
    probe(env.SNAPSHOT_CACHE_URL, token),
  ]);
  const checks = { "env-manager": envManager, "snapshot-cache": snapshotCache };
  const down = Object.entries(checks)
    .filter(([, c]) => !c.ok)
    .map(([name]) => name);
  return { ready: down.length === 0, checks, down };
}
