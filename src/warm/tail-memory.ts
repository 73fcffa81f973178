// What this isolate learned about whole tails: tail hash -> the layer holding all of its steps.
// That answer is immutable until snapshot-cache's GC removes the layer, so a warm job need not
// wait for the lookup round trip: it boots from the remembered layer while the lookup runs in the
// background to refresh (or forget) the entry, and a boot that finds the layer gone forgets it
// and asks again. Bounded: the oldest entries leave first.

/** Tails remembered per isolate (an entry is two short strings). */
export const MAX_REMEMBERED_TAILS = 4096;

const layers = new Map<string, string>();

/** The layer remembered for the whole tail `tailHash`, if any (and marks it recently used). */
export function recallTail(tailHash: string): string | null {
  const layer = layers.get(tailHash);
  if (layer === undefined) return null;
  layers.delete(tailHash);
  layers.set(tailHash, layer);
  return layer;
}

/** Records what a lookup answered: the layer of the whole tail, or null (not cached / gone). */
export function rememberTail(tailHash: string, layerId: string | null): void {
  layers.delete(tailHash);
  if (layerId === null) return;
  layers.set(tailHash, layerId);
  while (layers.size > MAX_REMEMBERED_TAILS) {
    const oldest = layers.keys().next().value;
    if (oldest === undefined) break;
    layers.delete(oldest);
  }
}

export function forgetTail(tailHash: string): void {
  layers.delete(tailHash);
}

/** For tests: how many tails are remembered. */
export function rememberedTails(): number {
  return layers.size;
}
