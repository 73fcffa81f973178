// What this isolate learned about whole tails: tail hash -> the layer holding all of its steps.
// That answer is immutable until snapshot-cache's GC removes the layer, so a warm job need not
// wait for the lookup round trip: it boots from the remembered layer while the lookup runs in the
// background to refresh (or forget) the entry, and a boot that finds the layer gone forgets it
// and asks again (src/run/flow.ts). Bounded twice: by its own entry cap, and by the isolate's one
// cache budget it shares with the content caches (src/limits/isolate-cache.ts); the least
// recently used entries leave first.
import { IsolateCache, stringBytes } from "../limits/isolate-cache.ts";

/** Tails remembered per isolate (an entry is two short strings). */
export const MAX_REMEMBERED_TAILS = 4096;
/** What a Map entry and its budget slot cost besides the two strings (V8 objects, roughly). */
export const ENTRY_OVERHEAD_BYTES = 96;

const layers = new IsolateCache<string, string>(
  (tailHash, layerId) => stringBytes(tailHash) + stringBytes(layerId) + ENTRY_OVERHEAD_BYTES,
  MAX_REMEMBERED_TAILS,
);

/** The layer remembered for the whole tail `tailHash`, if any (and marks it recently used). */
export function recallTail(tailHash: string): string | null {
  return layers.get(tailHash) ?? null;
}

/**
 * Records what snapshot-cache said of the tail `tailHash`: the layer of all of its steps (a
 * lookup's whole match, or a layer just published for it), or null (not cached, or gone).
 */
export function rememberTail(tailHash: string, layerId: string | null): void {
  if (layerId === null) layers.delete(tailHash);
  else layers.set(tailHash, layerId);
}

export function forgetTail(tailHash: string): void {
  layers.delete(tailHash);
}

/** For tests: how many tails are remembered. */
export function rememberedTails(): number {
  return layers.size;
}
