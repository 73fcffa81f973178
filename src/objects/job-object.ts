// JobObject: one Durable Object per job. It keeps the job's files, state, stages, numbered events
// and result in its SQLite storage; requests arrive as typed RPC calls from the worker, and the
// execution itself runs from the alarm, so an eviction mid-job resumes or fails it visibly.
import { DurableObject } from "cloudflare:workers";
import { JobAdmission } from "../admission/job-admission.ts";
import { checkEngineAtCreate } from "../engines/check.ts";
import { appendPart, type CreateInput, createJob, requestRun } from "../jobs/commands.ts";
import { finishJob } from "../jobs/finish.ts";
import type { AppendBody, RunBody } from "../jobs/job-input.ts";
import { JobStore, ownedJob } from "../jobs/job-store.ts";
import { logsPage } from "../jobs/logs-page.ts";
import { applyMigrations } from "../jobs/migrations.ts";
import type { Emit, JobEvent, LogsResponse, ResultPage } from "../jobs/model.ts";
import { capture, type Outcome } from "../jobs/outcome.ts";
import { type PageQuery, readResultPage } from "../jobs/result-pages.ts";
import { isTerminal } from "../jobs/state-machine.ts";
import { ViewAnswer } from "../jobs/view-answer.ts";
import { type CountedSql, countWrites } from "../jobs/write-counter.ts";
import { leasedContent } from "../lifecycle/content-lease.ts";
import {
  type ExtendInput,
  extendJob,
  holdsInstance,
  nextLifecycleAlarm,
  pinAfterRun,
  queueTerminalWebhook,
  runLifecycleAlarm,
  webhookDeliveries,
} from "../lifecycle/job-hooks.ts";
import { JobLifecycle } from "../lifecycle/job-lifecycle.ts";
import { instanceQuotaOf } from "../lifecycle/plans.ts";
import { EventBudget } from "../limits/event-budget.ts";
import { Serial } from "../limits/serial.ts";
import { answerClientClose, answerClientMessage, LiveHub } from "../live/hub.ts";
import { acceptSubscriber, openStream } from "../live/subscribe.ts";
import type { Plan } from "../planner/plan.ts";
import { type CachedPlan, cleanupInstance, executeJob, HEARTBEAT_MS } from "../run/execute.ts";
import type { JobRun } from "../run/job-run.ts";
import { type PlatformOverrides, platformFor } from "../run/platform.ts";
import { prefetchLookup } from "../run/tail-lookup.ts";
import { jobExpired } from "../telemetry/job-telemetry.ts";
import { describeInternal, logLine } from "../telemetry/log.ts";
import { configureTelemetry, flushTelemetry } from "../telemetry/telemetry.ts";

export class JobObject extends DurableObject<Env> {
  readonly store: JobStore;
  /** This object's SQLite handle, counting writes (every table is read and written through it). */
  readonly #sql: CountedSql;
  /** `GET /v1/jobs/{id}`: the memoized view and its long polls (src/jobs/view-answer.ts). */
  readonly #view: ViewAnswer;
  /** The execution running in this instance's alarm, if any (memory only: gone on eviction). */
  active: JobRun | null = null;
  /** The plan made when the run was requested, so the alarm need not plan again (memory only). */
  plan: CachedPlan | null = null;
  /**
   * Fault injection for tests (memory only): e.g. an unreachable snapshot-cache, or an admission
   * pool of the test's own (`admissionPool`, read when the job first asks to run).
   */
  overrides: PlatformOverrides & { admissionPool?: string } = {};
  /** The job's place in admission (src/admission/job-admission.ts). */
  readonly admission: JobAdmission;
  /** Replay wall time per alarm before continuing in the next one (tests lower it). */
  budgetMs: number;
  /** Live subscribers (hibernatable WebSockets, SSE streams): see src/live/hub.ts. */
  readonly live: LiveHub;
  /**
   * True while this instance runs the job (from the alarm or started at once by create/run), set
   * before the first await, so a second start finds it and only re-arms the heartbeat.
   */
  #running = false;
  readonly #creates = new Serial();
  /** Caps the stored log events (src/limits/event-budget.ts). */
  readonly #events = new EventBudget<Parameters<Emit>[0]>(() => this.store.countLogEvents());
  readonly emit: Emit = (type, data) => this.#events.emit(type, data, this.#store);
  readonly #store: Emit = (type, data) => {
    this.store.addEvent(type, data);
    // Log lines are written in batches at the end of the turn; any other event (a step, the
    // status) is written at once, with the lines before it.
    if (type !== "log") this.store.flushEvents();
    if (type === "status" && data.terminal === true) {
      queueTerminalWebhook(this.store);
      this.#view.finished();
    }
  };

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = countWrites(ctx.storage.sql);
    applyMigrations(this.#sql.sql);
    this.store = new JobStore(this.#sql.sql);
    this.store.onEventsStored = (events) => {
      for (const event of events) this.publish(event);
    };
    this.#view = new ViewAnswer(this.#sql, this.store);
    this.budgetMs = Number(env.ALARM_BUDGET_MS) || 600_000;
    this.live = new LiveHub(ctx);
    this.admission = new JobAdmission(env, this.store, this.emit);
    configureTelemetry(env);
  }

  /** The admission queue granted this job a slot: start now instead of at the next poll. */
  async admitted(): Promise<void> {
    this.startNow();
  }

  /**
   * Hook for live subscribers (issue 6): called with every event right after it was stored, in
   * `seq` order. `event.type === "status" && event.data.terminal` marks the last one.
   */
  protected publish(event: JobEvent): void {
    this.live.publish(event);
  }

  /** Only for the WebSocket upgrade the worker forwards (after checking the ticket). */
  override async fetch(request: Request): Promise<Response> {
    return acceptSubscriber(this.store, this.live, request);
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    answerClientMessage(ws, message);
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    answerClientClose(ws, code, reason);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    answerClientClose(ws, 1011, "socket error");
  }

  /** SSE for `logs`: the stored events after `after`, then live ones; null if nothing is left. */
  async liveStream(user: string, after: number) {
    return capture(() => openStream(this.store, this.live, user, after));
  }

  /** Checks that `user` owns the job (before a ticket is issued). */
  async liveOwner(user: string) {
    return capture(() => ({ status: ownedJob(this.store, user).status }));
  }

  /**
   * `userPlan`: the plan the gateway named (X-User-Plan), already checked against its limits.
   * Creates run one at a time (src/limits/serial.ts): concurrent identical creates get one job.
   */
  async create(input: CreateInput, userPlan = "free") {
    return this.#creates.run(() => this.#createNow(input, userPlan));
  }

  async #createNow(input: CreateInput, userPlan: string) {
    return capture(async () => {
      const now = Date.now();
      // A new short job asks for a slot first: a full queue refuses it (429) before anything is
      // stored; a repeated create of an existing job is answered as before.
      const { body } = input;
      const entering = !this.store.job() && body.mode === "short";
      const { plan, ...out } = await this.admission.enterFor(
        entering ? this.#entry(input.job_id, body.user_id, userPlan, body.timeout_ms) : null,
        () =>
          createJob(
            this.store,
            input,
            this.emit,
            now,
            leasedContent(this.env, now + body.job_ttl * 1000, body.user_id),
            this.checkPlan,
          ),
        () => this.store.job() !== null,
      );
      if (out.created) new JobLifecycle(this.#sql.sql).init(userPlan, input.body.webhook);
      if (plan) this.plan = this.cachePlan(plan);
      if (out.created) await this.schedule();
      if (out.created) this.startNow();
      return out;
    });
  }

  async append(user: string, body: AppendBody) {
    return capture(() =>
      appendPart(
        this.store,
        user,
        body,
        this.emit,
        leasedContent(this.env, this.#expiresAt(), user),
      ),
    );
  }

  async run(user: string, body: RunBody) {
    return capture(async () => {
      const job = ownedJob(this.store, user);
      const entering = !job.run_requested && !isTerminal(job.status);
      const planName = new JobLifecycle(this.#sql.sql).get().plan;
      const out = await this.admission.enterFor(
        entering ? this.#entry(job.job_id, job.user_id, planName, job.timeout_ms) : null,
        () =>
          requestRun(
            this.store,
            user,
            body,
            this.emit,
            Date.now(),
            leasedContent(this.env, this.#expiresAt(), user),
            this.checkPlan,
          ),
        () => this.store.job()?.run_requested === true,
      );
      if (out.plan) this.plan = this.cachePlan(out.plan);
      if (out.started) await this.schedule();
      if (out.started) this.startNow();
      return { status: out.status };
    });
  }

  /** The job view; with `waitMs`, answers as soon as the job ends or after `waitMs` (long poll). */
  async view(user: string, waitMs = 0) {
    return capture(() => this.#view.answer(user, waitMs, () => this.admission.place()));
  }

  /** `GET /v1/jobs/{id}/result`: one page of a stored result set (src/jobs/result-pages.ts). */
  async resultPage(user: string, query: PageQuery): Promise<Outcome<ResultPage>> {
    return capture(() => {
      const job = ownedJob(this.store, user);
      return readResultPage(this.store, job.job_id, query);
    });
  }

  async logs(user: string, after: number, limit: number): Promise<Outcome<LogsResponse>> {
    return capture(() => logsPage(this.store, user, after, limit));
  }

  async cancel(user: string) {
    return capture(async () => {
      const job = ownedJob(this.store, user);
      if (isTerminal(job.status)) return { status: job.status };
      finishJob(this.store, this.emit, "canceled", {
        code: "canceled",
        message: "the job was canceled",
      });
      this.active?.abort("canceled");
      await cleanupInstance(this.env, this.store);
      await this.admission.release();
      await this.schedule();
      this.ctx.waitUntil(flushTelemetry());
      return { status: this.store.job()?.status ?? "canceled" };
    });
  }

  /** `POST /v1/jobs/{id}/extend` (plan limits, layer pin, content leases: lifecycle/job-hooks.ts). */
  async extend(input: ExtendInput) {
    return capture(async () => {
      const out = await extendJob(
        this.env,
        this.store,
        platformFor(this.env, this.overrides).cache,
        input,
      );
      await this.schedule();
      return out;
    });
  }

  /** `GET /v1/jobs/{id}/webhooks`: the job's webhook messages and every delivery attempt. */
  async webhooks(user: string) {
    return capture(() => webhookDeliveries(this.store, user));
  }

  /** For the orphan sweep: does this job still hold instance `instanceId`? */
  async holdsInstance(instanceId: string): Promise<boolean> {
    return holdsInstance(this.store, instanceId);
  }

  /** What the job asks admission for when it first asks to run (src/admission/job-admission.ts). */
  #entry(jobId: string, userId: string, planName: string, timeoutMs: number) {
    return { jobId, userId, planName, timeoutMs, pool: this.overrides.admissionPool };
  }

  #expiresAt(): number {
    return this.store.job()?.expires_at ?? Date.now();
  }

  /**
   * Starts a due run at once instead of waiting for the alarm to fire (its delivery costs several
   * ms); the alarm stays armed, so if this instance goes away the alarm resumes the job as before.
   */
  startNow(): void {
    const job = this.store.job();
    if (!job || isTerminal(job.status) || !job.run_requested || this.#running) return;
    void this.alarm().catch((err: unknown) => {
      logLine("error", "job_run_failed_to_start", { job_id: job.job_id, ...describeInternal(err) });
    });
  }

  override async alarm(): Promise<void> {
    const job = this.store.job();
    if (!job) {
      await this.ctx.storage.deleteAlarm();
      return;
    }
    if (this.active || this.#running) {
      // A run of this instance is in progress (its heartbeat came due): keep it armed.
      await this.ctx.storage.setAlarm(Date.now() + HEARTBEAT_MS);
      return;
    }
    await runLifecycleAlarm(this.env, this.store);
    if (Date.now() >= (this.store.job()?.expires_at ?? job.expires_at)) {
      jobExpired(job);
      this.ctx.waitUntil(flushTelemetry());
      await cleanupInstance(this.env, this.store);
      await this.admission.release();
      await this.ctx.storage.deleteAlarm();
      await this.ctx.storage.deleteAll();
      this.#sql.bump();
      // deleteAll drops the tables too; this instance may still answer requests (with 404s).
      applyMigrations(this.#sql.sql);
      return;
    }
    if (!isTerminal(job.status) && job.run_requested) {
      // Another start (the queue's wake-up, create's startNow) got here during the await above.
      if (this.active || this.#running) return;
      this.#running = true;
      let waiting: { waitUntil: number } | null;
      try {
        waiting = await this.admission.whenAdmitted((since) => this.#execute(since));
      } finally {
        this.#running = false;
      }
      if (waiting) {
        // Waiting in `pending` for a slot: the alarm looks again (the queue also wakes us).
        await this.ctx.storage.setAlarm(waiting.waitUntil);
        return;
      }
      await this.admission.releaseIfEnded();
      // The plan holds every file's text: keep it only while the job may still need it.
      if (isTerminal(this.store.job()?.status ?? "completed")) {
        this.plan = null;
        await pinAfterRun(this.store, platformFor(this.env, this.overrides).cache);
      }
      this.ctx.waitUntil(flushTelemetry());
    }
    await this.schedule();
  }

  /** One run of the job in this alarm (`since`: when it asked to run, if admission gated it). */
  #execute(since: number | undefined): Promise<void> {
    return executeJob({
      env: this.env,
      ctx: this.ctx,
      store: this.store,
      emit: this.emit,
      overrides: this.overrides,
      budgetMs: this.budgetMs,
      cachedPlan: this.takePlan(),
      instanceQuota: instanceQuotaOf(new JobLifecycle(this.#sql.sql).get().plan, this.env.PLANS),
      ...(since !== undefined ? { since } : {}),
      tailLease: (hash) => this.env.TAILS.get(this.env.TAILS.idFromName(hash)),
      tenantLedger: (user) => this.env.TENANTS.get(this.env.TENANTS.idFromName(user)),
      setActive: (run) => {
        this.active = run;
      },
    });
  }

  /** The cached plan for this alarm; its prefetched lookup is only good for the first one. */
  takePlan(): CachedPlan | null {
    const cached = this.plan;
    if (cached) this.plan = { ...cached, lookup: null };
    return cached;
  }

  /** The manifest's engine and extensions against the platform's offer: a 422 before any SQL. */
  checkPlan = (plan: Plan) =>
    checkEngineAtCreate(
      this.overrides.envManagerUrl ?? this.env.ENV_MANAGER_URL,
      () => platformFor(this.env, this.overrides).env.health(),
      plan.config,
    );

  /** Keeps the run's plan in memory and starts its chain lookup, both for the alarm to use. */
  cachePlan(plan: Plan): CachedPlan {
    return {
      runDigest: this.store.job()?.run_digest ?? "",
      plan,
      lookup: prefetchLookup(platformFor(this.env, this.overrides), plan),
    };
  }

  /**
   * One alarm, computed from storage: run now if work is due, otherwise the next webhook attempt,
   * otherwise at expiry (GC).
   */
  async schedule(at?: number): Promise<void> {
    const job = this.store.job();
    if (!job) return;
    const due = !isTerminal(job.status) && job.run_requested;
    const webhook = nextLifecycleAlarm(this.store);
    const next = at ?? (due ? Date.now() : Math.min(job.expires_at, webhook ?? Infinity));
    await this.ctx.storage.setAlarm(next);
  }
}
