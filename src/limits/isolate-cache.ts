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
  readonly #maxEntries: number;

  /**
   * `sizeOf`: the bytes an entry keeps alive (its key too when the key is the content).
   * `maxEntries`: this cache's own cap on entries (its least recently used leave first), for
   * caches of small entries whose count, not bytes, is the thing to bound.
   */
  constructor(sizeOf: (key: K, value: V) => number, maxEntries = Number.POSITIVE_INFINITY) {
    this.#sizeOf = sizeOf;
    this.#maxEntries = maxEntries;
  }

  get(key: K): V | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    order.delete(entry.slot);
    order.add(entry.slot);
    // This cache's own order too (a Map keeps insertion order), for the entry cap.
    this.#entries.delete(key);
    this.#entries.set(key, entry);
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
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.delete(oldest.value);
    }
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
