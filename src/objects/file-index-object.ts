// FileIndexObject: one shard (of 16, by the first hex digit) of the content store's GC index,
// see src/lifecycle/content-keep.ts. `collect` deletes the content nobody keeps from R2 while it
// blocks the shard, so a job's `keep` is either before the deletion (and saves the content) or
// after it (and the job then finds the content missing and writes it again).
import { DurableObject } from "cloudflare:workers";
import {
  CONTENT_HELD_TABLE,
  CONTENT_KEEP_TABLE,
  countRows,
  expiredRows,
  forgetRows,
  heldRows,
  holdRows,
  keepRows,
} from "../lifecycle/content-keep.ts";

export interface CollectAnswer {
  deleted: number;
  bytes: number;
}

export class FileIndexObject extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(CONTENT_KEEP_TABLE);
    ctx.storage.sql.exec(CONTENT_HELD_TABLE);
  }

  async keep(hexes: string[], until: number, owner?: string): Promise<void> {
    keepRows(this.ctx.storage.sql, hexes, until);
    if (owner !== undefined) holdRows(this.ctx.storage.sql, owner, hexes);
  }

  async claim(hexes: string[], until: number, owner: string): Promise<string[]> {
    const held = heldRows(this.ctx.storage.sql, owner, hexes);
    keepRows(this.ctx.storage.sql, held, until);
    return held;
  }

  /** Deletes up to `limit` contents nobody keeps at `now` (R2 object and index row). */
  async collect(now: number, limit: number): Promise<CollectAnswer> {
    return this.ctx.blockConcurrencyWhile(async () => {
      const hexes = expiredRows(this.ctx.storage.sql, now, limit);
      if (hexes.length === 0) return { deleted: 0, bytes: 0 };
      const keys = hexes.map((hex) => `sha256/${hex}`);
      const heads = await Promise.all(keys.map((key) => this.env.FILES.head(key)));
      await this.env.FILES.delete(keys);
      forgetRows(this.ctx.storage.sql, hexes);
      const bytes = heads.reduce((sum, h) => sum + (h?.size ?? 0), 0);
      return { deleted: heads.filter((h) => h !== null).length, bytes };
    });
  }

  async size(): Promise<number> {
    return countRows(this.ctx.storage.sql);
  }
}
