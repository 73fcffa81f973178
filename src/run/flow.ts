// The snapshot flow of one job: plan, one chain lookup, an instance from the longest cached layer
// (or the base image), replay of the missing steps with layers published where later jobs need
// them, the head, and the result. Orchestration only; the alarm shell (execute.ts) owns attempts,
// the deadline and error reporting.

import type { PgConnection } from "../clients/contracts/pg-connection.ts";
import { namesStringSyntax } from "../engine/psql/needs-interpreter.ts";
import { ResultBudget } from "../engine/result-budget.ts";
import { AppError } from "../errors.ts";
import { storeResolver } from "../jobs/content-store.ts";
import type { HeadResult, JobResult, SnapshotInfo } from "../jobs/model.ts";
import { roundMs } from "../jobs/model.ts";
import { planTree } from "../jobs/planning.ts";
import { ResultWriter } from "../jobs/result-pages.ts";
import { RESULT_LIMITS } from "../limits/limits.ts";
import type { PlannedStep } from "../planner/plan.ts";
import { reportableReuse } from "../tenant/reuse-report.ts";
import { forgetTail } from "../warm/tail-memory.ts";
import { LayerPublisher } from "./background-publish.ts";
import { AbortedError, checkAborted, StepFailure } from "./failure.ts";
import { runHead } from "./head.ts";
import type { FlowResult, JobRun } from "./job-run.ts";
import { boot, publishLayer, publishPoints } from "./layers.ts";
import { runStep, stoppingError } from "./script.ts";
import { awaitTail, isLayerGone, type Lookup, lookup } from "./tail-lookup.ts";

function advance(run: JobRun, status: "preparing" | "running" | "publishing"): void {
  if (run.store.transition(status)) run.emit("status", { status });
}

/** Runs the flow; failures are thrown (StepFailure, AbortedError, AppError) for `run.fail`. */
export async function runFlow(run: JobRun): Promise<FlowResult> {
  const { store, emit, job } = run;
  const head = job.head_path;
  if (!head) throw new AppError(500, "internal", "job has no head");
  const plan = run.plan ?? (await planTree(store.tree(), head, storeResolver(run.content)));
  advance(run, "preparing");

  const tail = plan.tail;
  let { found, leader } = await run.stage("snapshot_lookup", async () =>
    awaitTail(run, plan, await lookup(run, plan)),
  );
  // Steps an earlier alarm of this job replayed count as replayed, not as reused. Of the steps
  // this run reuses, the report may show those of a prefix the user ran before; the others are
  // reported as replayed (src/tenant/reuse-report.ts). Asked while the instance boots.
  const shownFor = (f: Lookup) =>
    reportableReuse(
      run.tenant,
      tail.slice(0, f.reused - Math.min(job.carried_steps, f.reused)).map((s) => s.hash),
    );
  let shownReuse = shownFor(found);
  let instance: Awaited<ReturnType<typeof boot>>;
  try {
    checkAborted(run.signal);
    instance = await run.stage("instance_boot", () => boot(run, plan, found));
  } catch (err) {
    // A remembered layer that GC removed since: forget it, look up again, boot from the answer.
    if (!(found.remembered && isLayerGone(err))) {
      if (leader)
        await run
          .tailLease(plan.tailHash)
          .release(job.job_id)
          .catch(() => {});
      throw err;
    }
    forgetTail(plan.tailHash);
    ({ found, leader } = await run.stage("snapshot_lookup", async () =>
      awaitTail(run, plan, await lookup(run, plan)),
    ));
    shownReuse = shownFor(found);
    try {
      instance = await run.stage("instance_boot", () => boot(run, plan, found));
    } catch (again) {
      if (leader)
        await run
          .tailLease(plan.tailHash)
          .release(job.job_id)
          .catch(() => {});
      throw again;
    }
  }
  const lease = leader ? run.tailLease(plan.tailHash) : null;
  const publisher = new LayerPublisher(run);
  // Steps of the tail the instance holds (restored or replayed so far): the user ran them, and
  // the ledger learns so when the flow ends (not when it continues in the next alarm, whose
  // report must still tell this job's own replays apart from the reuse it started with).
  let done = found.reused;
  let continued = false;
  let recorded: Promise<void> | null = null;
  const record = async (n: number) => {
    if (n > 0) await run.tenant?.record(tail.slice(0, n).map((s) => s.hash)).catch(() => {});
  };
  try {
    const conn: PgConnection = instance.connection;
    advance(run, "running");

    const points = publishPoints(tail, plan.config.layers);
    let layerId = found.layerId;
    let parent = found.reused > 0 ? (tail[found.reused - 1]?.hash ?? null) : null;
    let lastLayered = found.reused;
    const carried = Math.min(job.carried_steps, found.reused);
    const reusedHere = found.reused - carried;
    const shown = await shownReuse;
    // Reused steps not shown are reported as replayed ones (events, counts, hit), though the
    // instance booted from their layer.
    const hidden = carried === 0 ? tail.slice(shown, reusedHere) : [];
    // A hidden reused step reads exactly as a replayed one (with 0 ms), so the two cannot differ.
    const replayedEvent = (step: PlannedStep, ms: number) =>
      emit("step", {
        index: step.index,
        of: tail.length,
        path: step.path,
        stage: step.stage,
        state: "replayed",
        ms,
      });
    if (shown > 0 && carried === 0) {
      emit("step", {
        state: "reused",
        reused_steps: shown,
        ...(shown === found.reused ? { layer_id: found.layerId } : {}),
      });
    }
    if (found.reused < tail.length || hidden.length > 0) {
      const replay = await run.stage("tail_replay", async () => {
        for (const step of hidden) replayedEvent(step, 0);
        // The steps after one that names standard_conforming_strings (it may be their session
        // default now) run in the interpreter, which lexes literals as the server says.
        const stringSyntaxStep =
          tail.find((s) => namesStringSyntax(plan.files, s.path))?.index ?? Infinity;
        for (const step of tail.slice(found.reused)) {
          checkAborted(run.signal);
          const t0 = performance.now();
          try {
            await runStep({
              files: plan.files,
              entry: step.path,
              interpret: step.index > stringSyntaxStep,
              variables: {},
              settings: plan.config.settings,
              seedHash: step.hash,
              connection: conn,
              signal: run.signal,
              emit,
            });
          } catch (err) {
            if (run.signal.aborted) throw new AbortedError(String(run.signal.reason));
            throw new StepFailure("tail", err);
          }
          done = step.index;
          replayedEvent(step, roundMs(performance.now() - t0));
          const overBudget = Date.now() - run.alarmStart > run.budgetMs;
          const more = step.index < tail.length;
          if (found.cacheOk && (points.has(step.index) || (overBudget && more))) {
            const published = await publishLayer(
              run,
              instance.instance_id,
              step,
              parent,
              publisher,
            );
            if (published) {
              layerId = published;
              parent = step.hash;
              lastLayered = step.index;
            }
          }
          if (overBudget && more && lastLayered === step.index) {
            // The next alarm looks the layer up: it must be published first.
            await publisher.settle();
            store.update({ carried_steps: job.carried_steps + step.index - found.reused });
            emit("log", {
              message: `alarm time budget used after step ${step.index}: continuing in the next alarm`,
            });
            return "continue";
          }
        }
        return "done";
      });
      if (replay === "continue") {
        continued = true;
        return { kind: "continue" };
      }
    }
    const replayed = tail.length - shown;
    const snapshot: SnapshotInfo = {
      tail_hash: plan.tailHash,
      layer_id: tail.length === 0 ? null : layerId,
      hit: replayed === 0,
      reused_steps: shown,
      replayed_steps: replayed,
      tail_steps: tail.length,
      cache_available: found.cacheOk,
      engine: instance.source.engine,
    };
    // The tail's layers are published before the head: jobs waiting on the lease look for the
    // tail's layer once it is released, and a run resumed after a reset boots from it. Only the
    // last step's write is still pending here; earlier ones overlapped the following steps.
    await publisher.settle();
    store.update({ snapshot, cache_hit: snapshot.hit });
    // The whole tail is the user's from now on; the ledger learns it while the head runs (a tail
    // the ledger already had in full is not written again).
    recorded = shown === tail.length ? Promise.resolve() : record(tail.length);
    if (lease) await lease.release(job.job_id).catch(() => {});

    checkAborted(run.signal);
    const heads = job.head_options.heads ?? [plan.head.path];
    let results: (HeadResult & { path: string })[];
    // One budget for every head's rows; rows of an earlier attempt are written anew.
    const budget = new ResultBudget(run.resultMaxBytes, {
      maxSets: RESULT_LIMITS.maxSets,
      maxMetaBytes: RESULT_LIMITS.maxSetMetaBytes,
      maxErrors: RESULT_LIMITS.maxErrors,
    });
    const writer = new ResultWriter(store, job.job_id);
    store.clearResult();
    try {
      results = await run.stage("head_execution", async () => {
        const out: (HeadResult & { path: string })[] = [];
        // Each head in its own session on the same instance, one after the other.
        for (const path of heads) {
          checkAborted(run.signal);
          const r = await runHead({
            files: plan.files,
            path,
            variables: job.variables,
            settings: plan.config.settings,
            seedHash: plan.tailHash,
            connection: conn,
            signal: run.signal,
            emit,
            options: job.head_options,
            headCount: heads.length,
            budget,
            writer,
          });
          out.push({ path, ...r });
        }
        return out;
      });
    } catch (err) {
      if (run.signal.aborted || err instanceof AbortedError) {
        throw new AbortedError(String(run.signal.reason));
      }
      throw new StepFailure("head", err);
    }
    checkAborted(run.signal);
    const result: JobResult = {
      ...(job.head_options.heads
        ? { sets: [], heads: results }
        : (({ path: _path, ...one }) => one)(results[0]!)),
      truncated: budget.exhausted || budget.droppedSets > 0 || budget.droppedErrors > 0,
      stored_bytes: budget.used,
      max_bytes: budget.maxBytes,
      ...(budget.droppedSets > 0
        ? {
            dropped_sets: budget.droppedSets,
            max_sets: budget.sets.maxSets,
            max_set_meta_bytes: budget.sets.maxMetaBytes,
          }
        : {}),
      ...(budget.droppedErrors > 0
        ? { dropped_errors: budget.droppedErrors, max_errors: RESULT_LIMITS.maxErrors }
        : {}),
    };
    // Stored before a stopped head fails the job: the result sets before the error are kept.
    store.putResult(result);
    emit("result", {
      sets: results.reduce((n, r) => n + r.sets.length, 0),
      row_counts: results.flatMap((r) => r.sets.map((s) => s.row_count)),
      errors: results.reduce((n, r) => n + r.errors.length, 0),
      ...(job.head_options.heads ? { heads: results.length } : {}),
      ...(results.some((r) => r.test)
        ? { tests_passed: results.filter((r) => r.test?.passed).length }
        : {}),
      href: `/v1/jobs/${job.job_id}`,
    });
    const stopped = results.find((r) => r.stopped_by);
    if (stopped?.stopped_by) throw new StepFailure("head", stoppingError(stopped.stopped_by));
    advance(run, "publishing");
    // The instance is dropped by the shell right after the job is marked completed.
    return { kind: "done" };
  } finally {
    // Whatever ended the run, layers already snapshotted still get published.
    await publisher.settle();
    if (lease) await lease.release(job.job_id).catch(() => {});
    await (recorded ?? (continued ? null : record(done)));
  }
}
