// The JobObject's request-side operations (create, append, run, cancel bookkeeping) as plain
// functions over its JobStore. Each one writes storage first; the object then schedules its alarm.

import { AppError } from "../errors.ts";
import { checkHeads, expandHeads } from "../planner/heads.ts";
import type { Plan } from "../planner/plan.ts";
import { stageDone } from "../telemetry/job-telemetry.ts";
import { type ContentStore, rememberContent, storeResolver } from "./content-store.ts";
import { canonicalJson, contentDigest, type Digest, digestOnce, sha256Hex } from "./job-id.ts";
import {
  type AppendBody,
  type CreateJobBody,
  JOB_LIMITS,
  type ProjectTree,
  type RunBody,
} from "./job-input.ts";
import { type JobRow, type JobStore, ownedJob, type StoredEntry } from "./job-store.ts";
import { type Emit, type HeadOptions, roundMs } from "./model.ts";
import { planTree, validatePart } from "./planning.ts";
import { isTerminal } from "./state-machine.ts";

export interface CreateInput {
  job_id: string;
  body: CreateJobBody;
  /** The gateway's `traceparent` header; `telemetry_context.traceparent` wins when both exist. */
  traceparent?: string | null;
}

/** `sha256:<hex>` of the file's bytes: the same for a file sent inline or as its etag. */
async function entryDigest(entry: StoredEntry, digest: Digest): Promise<string> {
  return "etag" in entry ? entry.etag : `sha256:${await digest(entry.content)}`;
}

/**
 * Files at least this big are kept in the job's storage as a reference into the content store
 * (which already holds their bytes), not as a second copy.
 */
export const OFFLOAD_BYTES = 64 * 1024;

async function checkFiles(
  store: JobStore,
  files: Map<string, StoredEntry>,
  hash: Digest,
): Promise<Map<string, { entry: StoredEntry; digest: string; fresh: boolean }>> {
  const out = new Map<string, { entry: StoredEntry; digest: string; fresh: boolean }>();
  for (const [path, entry] of files) {
    const digest = await entryDigest(entry, hash);
    const existing = store.fileDigest(path);
    if (existing !== null && existing !== digest) {
      throw new AppError(
        409,
        "content_conflict",
        `file ${JSON.stringify(path)} was already sent with other content`,
        {
          path,
        },
      );
    }
    out.set(path, { entry, digest, fresh: existing === null });
  }
  return out;
}

function storeFiles(
  store: JobStore,
  part: number,
  checked: Map<string, { entry: StoredEntry; digest: string; fresh: boolean }>,
  offload: boolean,
): void {
  for (const [path, file] of checked) {
    if (!file.fresh) continue;
    const big = "content" in file.entry && file.entry.content.length >= OFFLOAD_BYTES;
    store.putFile(path, part, file.digest, offload && big ? { etag: file.digest } : file.entry);
  }
}

/**
 * Digest of a tree for idempotency checks: paths with the SHA-256 of their content, so a 3 MB file
 * is hashed once instead of being re-serialized as canonical JSON.
 */
export async function treeDigest(
  tree: ProjectTree | undefined,
  digest: Digest = contentDigest,
): Promise<string[] | null> {
  if (!tree) return null;
  const out: string[] = [];
  for (const path of Object.keys(tree).sort()) {
    const entry = tree[path];
    if (entry === undefined) continue;
    if (typeof entry === "string") out.push(path, await digest(entry));
    else if ("content" in entry) out.push(path, await digest(entry.content));
    else out.push(path, `etag:${entry.etag}`);
  }
  return out;
}

/** The stored form of on_error / output / echo / heads (only what was given). */
function headOptions(
  given: Pick<CreateJobBody, "on_error" | "output" | "echo">,
  heads: string[] | undefined,
): HeadOptions {
  const out: HeadOptions = {};
  if (given.on_error !== undefined) out.on_error = given.on_error;
  if (given.output !== undefined) out.output = given.output;
  if (given.echo !== undefined) out.echo = given.echo;
  if (heads !== undefined) out.heads = heads;
  return out;
}

/**
 * Plans a job for its head, or for the first of its `heads` (expanded against the tree's paths),
 * checking that all of them share that head's tail.
 */
async function planHeads(
  tree: Record<string, StoredEntry>,
  head: string | undefined,
  heads: string[] | undefined,
  content: ContentStore | undefined,
  digest: Digest,
): Promise<{ plan: Plan; head: string; heads: string[] | undefined }> {
  const expanded = heads ? expandHeads(heads, Object.keys(tree), JOB_LIMITS.maxHeads) : undefined;
  const first = expanded?.[0] ?? head!;
  const plan = await planTree(tree, first, content ? storeResolver(content) : undefined, digest);
  if (expanded) checkHeads(plan, expanded);
  return { plan, head: plan.head.path, heads: expanded };
}

/** A check of a plan against the platform before the job is accepted (engines/check.ts). */
export type PlanCheck = (plan: Plan) => Promise<void>;

export async function createJob(
  store: JobStore,
  input: CreateInput,
  emit: Emit,
  now: number,
  content?: ContentStore,
  checkPlan?: PlanCheck,
): Promise<{ created: boolean; status: JobRow["status"]; plan: Plan | null }> {
  const { body } = input;
  // Every file of the create is hashed once, here, and the digest reused by each step below.
  const hash = digestOnce();
  const digest = await sha256Hex(
    canonicalJson({ ...body, project_tree: await treeDigest(body.project_tree, hash) }),
  );
  const existing = store.job();
  if (existing) {
    if (existing.body_digest !== digest) {
      throw new AppError(
        409,
        "idempotency_conflict",
        `request_id ${JSON.stringify(body.request_id)} was already used with a different body`,
        { field: "request_id" },
      );
    }
    return { created: false, status: existing.status, plan: null };
  }
  if (body.mode === "short") {
    if (!body.project_tree) {
      throw new AppError(400, "validation_failed", "body: project_tree: required for a short job", {
        field: "project_tree",
      });
    }
    if (!body.head_path && !body.heads) {
      throw new AppError(
        400,
        "validation_failed",
        "body: head_path: required for a short job (or heads)",
        { field: "head_path" },
      );
    }
  }
  const started = performance.now();
  const part = body.project_tree ? validatePart(body.project_tree) : null;
  const files = part ? await checkFiles(store, part.files, hash) : new Map();
  let plan: Plan | null = null;
  let headPath = body.head_path ?? null;
  let heads = body.heads;
  if (body.mode === "short" && part) {
    const planned = await planHeads(
      Object.fromEntries(part.files),
      body.head_path,
      body.heads,
      content,
      hash,
    );
    ({ plan, heads } = planned);
    headPath = planned.head;
    await checkPlan?.(plan);
  }
  if (part && content) await rememberContent(content, part.files, hash);
  const parseMs = performance.now() - started;
  store.insert({
    job_id: input.job_id,
    user_id: body.user_id,
    request_id: body.request_id,
    body_digest: digest,
    mode: body.mode,
    head_path: headPath,
    variables: body.variables,
    snapshot_ttl: body.snapshot_ttl,
    job_ttl: body.job_ttl,
    timeout_ms: body.timeout_ms,
    telemetry: input.traceparent
      ? { traceparent: input.traceparent, ...body.telemetry_context }
      : body.telemetry_context,
    created_at: now,
    expires_at: now + body.job_ttl * 1000,
    head_options: headOptions(body, heads),
  });
  if (part) {
    store.addPart(0, digest);
    storeFiles(store, 0, files, content !== undefined);
  }
  emit("status", { status: "pending", mode: body.mode });
  if (body.mode === "short") {
    store.openStage("parsing", now);
    store.closeStage("parsing", parseMs);
    emit("stage", { stage: "parsing", state: "done", ms: roundMs(parseMs) });
    store.update({ run_requested: true, run_digest: digest });
    const row = store.job();
    if (row) stageDone(row, "parsing", parseMs);
  }
  return { created: true, status: "pending", plan };
}

export async function appendPart(
  store: JobStore,
  user: string,
  body: AppendBody,
  emit: Emit,
  content?: ContentStore,
): Promise<{ duplicate: boolean; parts: number[]; file_count: number }> {
  const job = ownedJob(store, user);
  if (job.mode !== "long") {
    throw new AppError(409, "invalid_state", 'append is only for jobs created with mode "long"');
  }
  const hash = digestOnce();
  const digest = await sha256Hex(canonicalJson(await treeDigest(body.project_tree, hash)));
  const known = store.partDigest(body.part);
  if (known !== null) {
    if (known !== digest) {
      throw new AppError(
        409,
        "part_conflict",
        `part ${body.part} was already sent with other files`,
        {
          field: "part",
        },
      );
    }
    return { duplicate: true, parts: store.parts(), file_count: store.fileCount() };
  }
  if (job.run_requested || job.status !== "pending") {
    throw new AppError(
      409,
      "invalid_state",
      `job is ${job.status} and already started; no more parts`,
    );
  }
  const part = validatePart(body.project_tree);
  const checked = await checkFiles(store, part.files, hash);
  if (content) await rememberContent(content, part.files, hash);
  store.addPart(body.part, digest);
  storeFiles(store, body.part, checked, content !== undefined);
  emit("log", { message: `part ${body.part}: ${part.files.size} file(s)` });
  return { duplicate: false, parts: store.parts(), file_count: store.fileCount() };
}

export async function requestRun(
  store: JobStore,
  user: string,
  body: RunBody,
  emit: Emit,
  now: number,
  content?: ContentStore,
  checkPlan?: PlanCheck,
): Promise<{ status: JobRow["status"]; started: boolean; plan: Plan | null }> {
  const job = ownedJob(store, user);
  const digest = await sha256Hex(canonicalJson(body));
  if (job.run_requested) {
    if (job.mode === "long" && job.run_digest !== digest) {
      throw new AppError(409, "invalid_state", `job is ${job.status} and already started`);
    }
    return { status: job.status, started: false, plan: null };
  }
  if (isTerminal(job.status)) {
    throw new AppError(409, "invalid_state", `job is ${job.status}`);
  }
  // A head named at run replaces the heads given at create, and the other way round.
  const given = body.head_path !== undefined || body.heads !== undefined;
  const requestedHeads = given ? body.heads : job.head_options.heads;
  const head = body.head_path ?? (requestedHeads ? undefined : (job.head_path ?? undefined));
  if (!head && !requestedHeads) {
    throw new AppError(
      400,
      "validation_failed",
      "body: head_path: required (not given at create)",
      {
        field: "head_path",
      },
    );
  }
  const started = performance.now();
  const planned = await planHeads(store.tree(), head, requestedHeads, content, digestOnce());
  const plan = planned.plan;
  await checkPlan?.(plan);
  const parseMs = performance.now() - started;
  const previous = job.head_options;
  store.update({
    head_path: planned.head,
    head_options: headOptions(
      {
        on_error: body.on_error ?? previous.on_error,
        output: body.output ?? previous.output,
        echo: body.echo ?? previous.echo,
      },
      planned.heads,
    ),
    variables: body.variables ?? job.variables,
    run_requested: true,
    run_digest: digest,
  });
  store.openStage("parsing", now);
  store.closeStage("parsing", parseMs);
  emit("stage", { stage: "parsing", state: "done", ms: roundMs(parseMs) });
  stageDone(job, "parsing", parseMs);
  return { status: job.status, started: true, plan };
}
