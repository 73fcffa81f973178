// The one memory budget of an isolate's caches. A Workers isolate has 128 MB and all the Durable
// Objects it hosts share it, so the caches that keep file contents alive (contents read from the
// content store, include scans and digests of big files) draw on one budget instead of three
// separate ones that together could outgrow the isolate: the least recently used entry of any of
// them leaves first. docs/api.md (operations) states the budget.

/** Bytes all isolate caches together may keep alive. */
export const ISOLATE_CACHE_BYTES = 48 * 1024 * 1024;
/** One entry may take at most this share of the budget; bigger values are not cached. */
const MAX_ENTRY_SHARE = 4;

interface Slot {
  drop(): void;
  bytes: number;
}

/** Every cached entry of the isolate, least recently used first (a Set keeps insertion order). */
const order = new Set<Slot>();
let usedBytes = 0;

/**
 * What a string keeps alive: V8 stores a string of Latin-1 characters with one byte each, any
 * other with two (the test is one native scan, done once when the entry is stored).
 */
export function stringBytes(text: string): number {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the range is the point
  return /[^\u0000-\u00ff]/.test(text) ? text.length * 2 : text.length;
}

export class IsolateCache<K, V> {
  readonly #entries = new Map<K, { value: V; slot: Slot }>();
  readonly #sizeOf: (key: K, value: V) => number;

  /** `sizeOf`: the bytes an entry keeps alive (its key too when the key is the content). */
  constructor(sizeOf: (key: K, value: V) => number) {
    this.#sizeOf = sizeOf;
  }

  get(key: K): V | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    order.delete(entry.slot);
    order.add(entry.slot);
    return entry.value;
  }

  set(key: K, value: V): void {
    this.delete(key);
    const bytes = this.#sizeOf(key, value);
    if (bytes > ISOLATE_CACHE_BYTES / MAX_ENTRY_SHARE) return;
    const slot: Slot = { bytes, drop: () => this.delete(key) };
    this.#entries.set(key, { value, slot });
    order.add(slot);
    usedBytes += bytes;
    for (const oldest of order) {
      if (usedBytes <= ISOLATE_CACHE_BYTES) break;
      oldest.drop();
    }
  }

  delete(key: K): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    order.delete(entry.slot);
    usedBytes -= entry.slot.bytes;
  }

  get size(): number {
    return this.#entries.size;
  }
}

/** Bytes the isolate's caches hold now (for tests and the budget's documentation). */
export function isolateCacheBytes(): number {
  return usedBytes;
}
