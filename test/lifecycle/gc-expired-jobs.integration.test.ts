// GC of everything a job leaves (issue 11, "Must show"): jobs created through the API expire by
// their own alarms, one sweep (`POST /v1/admin/sweep`) runs on the real platform, and then every
// store is asked what is left: 0 job storage rows, 0 `FILES` objects past grace, 0 unpinned layers
// past their TTL, 0 instances; a pinned layer survives; every job has a `job.expired` audit
// record. Nothing is expired by hand: the test waits for the real clock (snapshot_ttl is at its
// 60 s minimum, FILES_GRACE_SECONDS is 0 and env-manager's publishGraceMs 60 s in the
// integration platform).
//
// 1,000 jobs, generated cheaply: booting PostgreSQL per job does not fit a 2-core machine, so a
// few jobs run (one cold, the rest warm hits of the same tail: they leave layers and instances)
// and the others are long-mode jobs with files that are never run (they leave job storage and
// `FILES` content); every tenth of those is canceled first. Both are states a job really expires
// in, and each is a real job row in its own job object, created through `POST /v1/jobs`. This
// needs patches/@cloudflare+vitest-pool-workers+0.23.0.patch: without it the test runtime slows
// down with every job object constructed (patches/README.md, docs/lifecycle.md "The GC test").
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { SweepReport } from "../../src/lifecycle/sweep.ts";
import { emptySweepReport, ORPHAN_GRACE_MS } from "../../src/lifecycle/sweep.ts";
import { call, uid } from "../api/helpers.ts";
import { waitDone } from "../jobs/helpers.ts";
import { eventually } from "../telemetry/helpers.ts";
import {
  contentIndexRows,
  expiredInAudit,
  jobStorageRows,
  mapLimit,
  platform,
  publishedLayers,
  sha256Hex,
  sleep,
} from "./gc-helpers.ts";

const JOBS = 1000;
const RAN = 5;
/**
 * Long enough for the jobs that run to finish on a loaded machine before they expire. The first
 * cheap jobs expire while the last are still being created; nothing depends on the order.
 */
const JOB_TTL_S = 90;
/** Layers' TTL: the minimum, so they are past it by the time the jobs have expired. */
const SNAPSHOT_TTL_S = 60;
/** Requests in flight at once: enough to overlap I/O, few enough for 2 shared cores. */
const WIDTH = 10;
/** Sweeps at most this many times: each deletes up to 1,000 contents per index shard. */
const SWEEP_PAGES = 5;

interface Made {
  jobId: string;
  user: string;
  /** When the job's `expires_at` has passed for certain (its create answered before it). */
  expiredBy: number;
}

type LayerMeta = {
  layer_id: string;
  tail_hash: string;
  expires_at: string;
  last_used_at: string;
  ttl_seconds: number;
};
type Instances = { instances: { instance_id: string; owner: string | null; created_at: string }[] };

const tag = crypto.randomUUID().replace(/-/g, "").slice(0, 12);
const t = `gc_${tag}`;
/**
 * Six tail steps, so six layers: env-manager's warm pool keeps instances of the most recent
 * layers (4 sources in the test platform) and those count as in use, so the first ones are not.
 */
const TAIL_STEPS = 6;
const TAIL: Record<string, string> = {
  "init/01_schema.sql": `CREATE TABLE ${t} (id int PRIMARY KEY, name text NOT NULL);`,
  ...Object.fromEntries(
    Array.from({ length: TAIL_STEPS - 1 }, (_, i) => [
      `seed/0${i + 1}.sql`,
      `INSERT INTO ${t} VALUES (${i + 1}, 'row ${i + 1}');`,
    ]),
  ),
  "test/all.sql": `SELECT id, name FROM ${t} ORDER BY id;`,
};
/** One file every never-run job holds: its content is kept until the last of them expires. */
const SHARED = `-- shared by every job of run ${tag}\nSELECT 1;`;
const own = (i: number) => `-- job ${i} of run ${tag}\nCREATE TABLE own_${i} (id int);`;

async function create(body: Record<string, unknown>): Promise<Made> {
  const user = uid("gc-user");
  const res = await call("/v1/jobs", {
    body: { request_id: uid("req"), user_id: user, job_ttl: JOB_TTL_S, ...body },
  });
  if (res.status !== 202) throw new Error(`create: ${res.status} ${await res.text()}`);
  const { job_id } = await res.json<{ job_id: string }>();
  return { jobId: job_id, user, expiredBy: Date.now() + JOB_TTL_S * 1000 };
}

/** Which of `hexes` are still objects in `FILES`. */
async function inFiles(hexes: ReadonlySet<string>): Promise<string[]> {
  const heads = await mapLimit([...hexes], WIDTH, (hex) => env.FILES.head(`sha256/${hex}`));
  return [...hexes].filter((_, k) => heads[k] !== null);
}

/**
 * `POST /v1/admin/sweep` until none of `hexes` is left in `FILES` (each run is bounded per index
 * shard, as the Cron Trigger's is, and other test files' contents may be due too), summed; at
 * most SWEEP_PAGES runs.
 */
async function sweepPages(hexes: ReadonlySet<string>): Promise<SweepReport> {
  const sum = emptySweepReport();
  for (let page = 0; page < SWEEP_PAGES; page++) {
    const res = await call("/v1/admin/sweep", { method: "POST" });
    expect(res.status).toBe(200);
    const r = await res.json<SweepReport>();
    sum.files_deleted += r.files_deleted;
    sum.files_bytes += r.files_bytes;
    sum.layers_deleted += r.layers_deleted;
    sum.layers_bytes += r.layers_bytes;
    sum.instances_destroyed += r.instances_destroyed;
    sum.errors.push(...r.errors);
    sum.ms += r.ms;
    if ((await inFiles(hexes)).length === 0) return sum;
  }
  return sum;
}

describe("garbage collection of expired jobs", () => {
  it(
    "leaves 0 job rows, 0 FILES past grace, 0 unpinned layers past TTL, 0 instances; a pinned layer survives",
    async () => {
      // 1. Jobs that run: one cold (publishes a layer after each of the tail steps), then warm
      //    hits of the same tail. Layers live 60 s from their last use.
      const ran: Made[] = [];
      let engine = "";
      for (let i = 0; i < RAN; i++) {
        const made = await create({
          project_tree: TAIL,
          head_path: "test/all.sql",
          snapshot_ttl: SNAPSHOT_TTL_S,
        });
        const view = await waitDone(made.jobId, made.user);
        expect(view.status).toBe("completed");
        if (i === 0) expect(view.snapshot?.hit).toBe(false);
        engine = view.snapshot?.engine ?? engine;
        ran.push(made);
      }
      const cold = ran[0] as Made;
      const layerIds = await eventually(async () => {
        const ids = await publishedLayers(cold.jobId, cold.user);
        expect(ids).toHaveLength(TAIL_STEPS);
        return ids;
      });
      const layers = await mapLimit(layerIds, 3, async (id) => {
        const res = await platform<{ layer: LayerMeta }>("snapshotCacheUrl", `/v1/layers/${id}`);
        expect(res.status).toBe(200);
        return res.json.layer;
      });

      // 2. The layer of the first step is pinned (as an extension pins a job's layers): it must
      //    outlive its TTL. Nothing boots from it, so only the pin can keep it.
      const pinned = layers[0] as LayerMeta;
      const pinUntil = new Date(Date.now() + 3_600_000).toISOString();
      const pin = await platform<{ pinned: number }>("snapshotCacheUrl", "/v1/layers/pin", {
        tail_hashes: [pinned.tail_hash],
        until: pinUntil,
      });
      expect(pin).toEqual({ status: 200, json: { pinned: 1 } });

      // 3. An instance orphaned by a crashed job: it names the job as its owner, the job never
      //    recorded it, and env-manager's own TTL (1 h) would keep it long after the job is gone.
      const orphan = await platform<{ instance_id: string }>("envManagerUrl", "/v1/instances", {
        from: { base: { engine } },
        ttl_ms: 3_600_000,
        owner: cold.jobId,
      });
      expect(orphan.status).toBe(201);

      // 4. The cheap jobs: long mode, two files each (one shared by all, one of their own), never run.
      const cheap = await mapLimit(
        Array.from({ length: JOBS - RAN }, (_, i) => i),
        WIDTH,
        async (i) => {
          const made = await create({
            mode: "long",
            project_tree: { "init/00_shared.sql": SHARED, [`init/01_job_${i}.sql`]: own(i) },
          });
          // A real job: its row, files and events are in its own object's storage (read the same
          // way as after its expiry), well before its job_ttl is over.
          expect(await jobStorageRows(made.jobId)).toBeGreaterThan(0);
          if (i % 10 === 0) {
            const res = await call(`/v1/jobs/${made.jobId}/cancel`, {
              method: "POST",
              user: made.user,
            });
            expect(res.status).toBe(200);
          }
          return made;
        },
      );
      const jobs = [...ran, ...cheap];
      expect(jobs).toHaveLength(JOBS);
      const ourHexes = new Set(
        await Promise.all(
          [SHARED, ...cheap.map((_, i) => own(i)), ...Object.values(TAIL)].map(sha256Hex),
        ),
      );

      // 5. Every job expires by its own alarm (no hand-set expires_at): poll each job's storage
      //    until it holds no row, then every job answers 404 through the API.
      await sleep(Math.max(...jobs.map((j) => j.expiredBy)) - Date.now() + 1000);
      let left = jobs;
      while (left.length > 0) {
        const rows = await mapLimit(left, WIDTH, (j) => jobStorageRows(j.jobId));
        left = left.filter((_, k) => (rows[k] ?? 0) > 0);
        if (left.length > 0) await sleep(5000);
      }
      const status = await mapLimit(jobs, WIDTH, async (j) => {
        const res = await call(`/v1/jobs/${j.jobId}`, { user: j.user });
        await res.body?.cancel();
        return res.status;
      });
      expect(status.filter((s) => s !== 404)).toEqual([]);

      // The job's own expiry leaves its files and its orphan to the sweep.
      expect(await inFiles(ourHexes)).toHaveLength(ourHexes.size);
      const before = await platform<Instances>("envManagerUrl", "/v1/instances");
      const orphanRow = before.json.instances.find(
        (x) => x.instance_id === orphan.json.instance_id,
      );
      expect(orphanRow?.owner).toBe(cold.jobId);

      // 6. The sweep, once the orphan is past the sweep's grace for young instances.
      await sleep(Date.parse(orphanRow?.created_at ?? "") + ORPHAN_GRACE_MS + 1000 - Date.now());
      const inUse = await platform<{ layer_ids: string[] }>("envManagerUrl", "/v1/layers/in-use");
      const beforeSweep = await mapLimit(layers, 3, async (l) => {
        const res = await platform<{ layer: LayerMeta }>(
          "snapshotCacheUrl",
          `/v1/layers/${l.layer_id}`,
        );
        expect(res.status).toBe(200);
        return res.json.layer;
      });
      // Only the pin can keep this one: no instance is booted from it and its TTL is over.
      expect(inUse.json.layer_ids).not.toContain(pinned.layer_id);
      const sweptAt = Date.now();
      const report = await sweepPages(ourHexes);
      expect(report.errors).toEqual([]);
      expect(report.files_deleted).toBeGreaterThanOrEqual(ourHexes.size);
      expect(report.instances_destroyed).toBeGreaterThanOrEqual(1);
      expect(report.layers_deleted).toBeGreaterThanOrEqual(1);

      // 0 FILES objects past grace: none of ours in R2 or the index, no index row nobody keeps.
      expect(await inFiles(ourHexes)).toEqual([]);
      expect(await contentIndexRows(sweptAt, ourHexes)).toEqual({ expired: 0, ours: 0 });

      // 0 unpinned layers past TTL (a layer an instance, pooled ones included, is booted from is
      // never collected); the pinned one survives its TTL, with its pin.
      const gone: string[] = [];
      for (const layer of beforeSweep) {
        const pastTtl = Date.parse(layer.last_used_at) + layer.ttl_seconds * 1000 < sweptAt;
        expect(pastTtl).toBe(true);
        const now = await platform<{ layer?: LayerMeta }>(
          "snapshotCacheUrl",
          `/v1/layers/${layer.layer_id}`,
        );
        if (layer.layer_id === pinned.layer_id) {
          expect(now.status).toBe(200);
          expect(Date.parse(now.json.layer?.expires_at ?? "")).toBeGreaterThanOrEqual(
            Date.parse(pinUntil),
          );
        } else if (!inUse.json.layer_ids.includes(layer.layer_id)) {
          expect(now.status).toBe(404);
          gone.push(layer.layer_id);
        }
      }
      expect(gone.length).toBeGreaterThanOrEqual(1);

      // 0 instances held for any of these jobs, the orphan included.
      const instances = await platform<Instances>("envManagerUrl", "/v1/instances");
      const owners = new Set(jobs.map((j) => j.jobId));
      expect(instances.json.instances.filter((x) => x.owner && owners.has(x.owner))).toEqual([]);

      // A `job.expired` audit record for every job (the queue delivers them asynchronously).
      await eventually(async () => {
        const audited = await expiredInAudit();
        expect(jobs.filter((j) => !audited.has(j.jobId)).map((j) => j.jobId)).toEqual([]);
      });
    },
    25 * 60_000,
  );
});
