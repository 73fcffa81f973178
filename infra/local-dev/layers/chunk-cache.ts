// Decompressed chunks of hot layers, kept in memory within a byte budget (least recently used out
// first), so booting a layer that was booted or written recently reads no chunk file and
// decompresses nothing. Chunks are immutable (content-addressed), so a cached chunk is never stale.
import type { ChunkStore } from "./chunk-store.ts";

export class ChunkCache {
  readonly budgetBytes: number;
  private readonly entries = new Map<string, Buffer>();
  private bytes = 0;
  hits = 0;
  misses = 0;

  constructor(budgetBytes: number) {
    this.budgetBytes = budgetBytes;
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  /** The raw chunk from memory, or read and decompressed from `store` (then cached). */
  get(hash: string, store: ChunkStore): Buffer {
    const hit = this.entries.get(hash);
    if (hit) {
      // Map order is insertion order: re-inserting marks the entry most recently used.
      this.entries.delete(hash);
      this.entries.set(hash, hit);
      this.hits++;
      return hit;
    }
    this.misses++;
    const raw = store.readSync(hash);
    this.put(hash, raw);
    return raw;
  }

  /** Whether a chunk is in memory (does not count as a use). */
  has(hash: string): boolean {
    return this.entries.has(hash);
  }

  /** Drops every entry (benchmarks measure boots from a cold cache). */
  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }

  put(hash: string, raw: Buffer): void {
    if (raw.length > this.budgetBytes || this.entries.has(hash)) return;
    this.entries.set(hash, raw);
    this.bytes += raw.length;
    for (const [key, value] of this.entries) {
      if (this.bytes <= this.budgetBytes) break;
      this.entries.delete(key);
      this.bytes -= value.length;
    }
  }
}
