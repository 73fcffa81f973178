// Reads for the GC test (gc-expired-jobs): what each store still holds, asked of the store itself (a
// job object's SQLite tables, the content index shards, R2, snapshot-cache, env-manager, the
// audit log), and a bounded-concurrency map so hundreds of calls never run at once.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { inject } from "vitest";
import { SHARDS } from "../../src/lifecycle/content-keep.ts";
import { call } from "../api/helpers.ts";
import { auditOf } from "../telemetry/helpers.ts";
import { jobStub } from "./helpers.ts";

/** `fn` over `items`, at most `width` at a time, results in order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  width: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return out;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** A platform service's HTTP API with the platform token. */
export async function platform<T>(
  service: "envManagerUrl" | "snapshotCacheUrl",
  path: string,
  body?: unknown,
): Promise<{ status: number; json: T }> {
  const res = await fetch(`${inject(service)}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: {
      authorization: `Bearer ${inject("platformToken")}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as T };
}

/**
 * Rows left in a job object's tables. `_migrations` is left out: it records the schema version,
 * not the job, and the object re-creates its (empty) schema right after `deleteAll()` so it can
 * still answer 404s.
 */
export function jobStorageRows(jobId: string): Promise<number> {
  return runInDurableObject(jobStub(jobId), (_obj, state) => {
    const sql = state.storage.sql;
    const tables = sql
      .exec<{ name: string }>(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name <> '_migrations'",
      )
      .toArray();
    let rows = 0;
    for (const { name } of tables) {
      rows += sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM "${name}"`).one().n;
    }
    return rows;
  });
}

/** Per content-index shard: rows nobody keeps at `now`, and rows for any of `hexes`. */
export async function contentIndexRows(
  now: number,
  hexes: ReadonlySet<string>,
): Promise<{ expired: number; ours: number }> {
  const wanted = [...hexes];
  const answers = await mapLimit(SHARDS, 4, (hex) =>
    runInDurableObject(env.FILE_INDEX.get(env.FILE_INDEX.idFromName(`files-${hex}`)), (_o, s) => {
      const sql = s.storage.sql;
      const expired = sql
        .exec<{ n: number }>("SELECT COUNT(*) AS n FROM content WHERE keep_until < ?", now)
        .one().n;
      const mine = wanted.filter((d) => d.startsWith(hex));
      let ours = 0;
      for (let i = 0; i < mine.length; i += 100) {
        const chunk = mine.slice(i, i + 100);
        ours += sql
          .exec<{ n: number }>(
            `SELECT COUNT(*) AS n FROM content WHERE digest IN (${chunk.map(() => "?").join(",")})`,
            ...chunk,
          )
          .one().n;
      }
      return { expired, ours };
    }),
  );
  return answers.reduce((a, b) => ({ expired: a.expired + b.expired, ours: a.ours + b.ours }));
}

/** The layers a job published (its `step` events with `state: "published"`), in step order. */
export async function publishedLayers(jobId: string, user: string): Promise<string[]> {
  const res = await call(`/v1/jobs/${jobId}/logs?after=0&limit=1000`, { user });
  if (res.status !== 200) throw new Error(`logs: ${res.status} ${await res.text()}`);
  const { events } = await res.json<{
    events: { type: string; data: Record<string, unknown> }[];
  }>();
  return events
    .filter((e) => e.type === "step" && e.data.state === "published")
    .sort((a, b) => Number(a.data.index) - Number(b.data.index))
    .map((e) => String(e.data.layer_id));
}

/** Job ids of every `job.expired` record in the audit log (paged). */
export async function expiredInAudit(): Promise<Set<string>> {
  const ids = new Set<string>();
  let after = 0;
  for (;;) {
    const page = await auditOf({ action: "job.expired", limit: "1000", after: String(after) });
    for (const r of page) if (r.job_id) ids.add(r.job_id);
    if (page.length < 1000) return ids;
    after = page.at(-1)?.seq ?? after;
  }
}

export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
