// Asks env-manager which layers its instances (running, booting, pooled) were made from. GC calls
// this before every run and deletes nothing when it fails: a layer in use must never be collected.
import { LayersInUseResponse } from "../../../src/clients/contracts/env-manager.ts";

export type InUseSource = () => Promise<readonly string[]>;

export class InUseUnavailable extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "InUseUnavailable";
  }
}

/** `GET <envManagerUrl>/v1/layers/in-use` with the platform token. */
export function envManagerInUse(
  envManagerUrl: string,
  token: string,
  timeoutMs = 3000,
): InUseSource {
  const url = new URL("/v1/layers/in-use", envManagerUrl);
  return async () => {
    let res: Response;
    try {
      res = await fetch(url, {
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const timedOut = err instanceof Error && err.name === "TimeoutError";
      throw new InUseUnavailable(timedOut ? "env-manager timed out" : "env-manager is unreachable");
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new InUseUnavailable(`env-manager answered HTTP ${res.status}`);
    }
    const parsed = LayersInUseResponse.safeParse(await res.json().catch(() => null));
    if (!parsed.success) throw new InUseUnavailable("env-manager sent a malformed in-use list");
    return parsed.data.layer_ids;
  };
}

/** Used when neither an env-manager URL nor an in-use function is configured: GC never deletes. */
export const noInUseSource: InUseSource = () =>
  Promise.reject(new InUseUnavailable("no env-manager is configured to report layers in use"));
