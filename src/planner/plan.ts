// planJob: tree + head -> the steps to replay before the head, with one hash per tail prefix so
// a cache lookup can find the longest prefix it already holds.
import { buildChain, isStepFile, stageOf, tailOf } from "./chain.ts";
import { normalizeContent } from "./content.ts";
import { PlannerError, quote } from "./errors.ts";
import {
  chainHash,
  computeH0,
  HASH_FORMAT_VERSION,
  type IncludedFile,
  sha256,
  stepDigest,
  toHex,
} from "./hash.ts";
import { IncludeResolver, type IncludeScanner } from "./includes.ts";
import { type PlannerLimits, resolveLimits } from "./limits.ts";
import { MANIFEST_PATH, parseManifest } from "./manifest.ts";
import { comparePaths } from "./natural-sort.ts";
import { normalizePath } from "./paths.ts";
import { effectiveSettings } from "./settings.ts";
import {
  checkFileBytes,
  checkTotalBytes,
  checkTree,
  type EtagEntry,
  type EtagResolver,
  type ProjectTree,
  utf8Bytes,
} from "./tree.ts";

export interface PlanInput {
  tree: ProjectTree;
  headPath: string;
  limits?: Partial<PlannerLimits>;
  resolveEtag?: EtagResolver;
  /** The script engine's include scanner; without it includes are neither followed nor hashed. */
  scanIncludes?: IncludeScanner;
}

export interface PlannedStep {
  /** 1-based position in the tail. */
  index: number;
  path: string;
  stage: string;
  /** Hex digest of the step's content and its included files. */
  digest: string;
  /** Hex h_i: the cache key of the database state after this step. */
  hash: string;
  /** Files the step includes, in first-run order. */
  includes: string[];
  /** Last step of its stage within this tail. */
  lastOfStage: boolean;
}

export interface PlanConfig {
  hashFormat: number;
  engine: string;
  extensions: Record<string, string>;
  settings: Record<string, string>;
  stages: string[];
  isolated: string[];
}

export interface Plan {
  head: { path: string; stage: string | null; content: string; includes: string[] };
  tail: PlannedStep[];
  h0: string;
  /** Hash of the last tail step, or h0 when the tail is empty. */
  tailHash: string;
  config: PlanConfig;
  /** Every normalized path -> normalized text, in natural path order (includes at run time). */
  files: ReadonlyMap<string, string>;
}

export async function planJob(input: PlanInput): Promise<Plan> {
  const limits = resolveLimits(input.limits);
  const { entries } = checkTree(input.tree, limits, false);
  const headPath = checkHead(input.headPath, entries);
  const files = await loadFiles(entries, limits, input.resolveEtag);

  const manifest = parseManifest(files.texts.get(MANIFEST_PATH));
  const config: PlanConfig = {
    hashFormat: HASH_FORMAT_VERSION,
    engine: manifest.engine,
    extensions: manifest.extensions,
    settings: effectiveSettings(manifest.settings),
    stages: manifest.stages,
    isolated: manifest.isolated,
  };

  const includes = new IncludeResolver(files.texts, input.scanIncludes);
  const headIncludes = includes.closure(headPath);
  const tailSteps = tailOf(buildChain(files.texts.keys(), manifest), headPath);

  let previous = await computeH0(config);
  const h0 = toHex(previous);
  const tail: PlannedStep[] = [];
  for (const [i, step] of tailSteps.entries()) {
    const included = includes.closure(step.path);
    const includedFiles: IncludedFile[] = [];
    for (const path of included) includedFiles.push({ path, sha256: await files.sha256(path) });
    const digest = await stepDigest(await files.sha256(step.path), includedFiles);
    previous = await chainHash(previous, step.path, digest);
    tail.push({
      index: i + 1,
      path: step.path,
      stage: step.stage,
      digest: toHex(digest),
      hash: toHex(previous),
      includes: included,
      lastOfStage: tailSteps[i + 1]?.stage !== step.stage,
    });
  }

  return {
    head: {
      path: headPath,
      stage: stageOf(headPath, [...manifest.stages, ...manifest.isolated]),
      content: files.texts.get(headPath)!,
      includes: headIncludes,
    },
    tail,
    h0,
    tailHash: tail.at(-1)?.hash ?? h0,
    config,
    files: files.texts,
  };
}

function checkHead(raw: string, entries: ReadonlyMap<string, unknown>): string {
  let path: string;
  try {
    path = normalizePath(raw);
  } catch {
    throw new PlannerError("unknown_head", raw, `head_path ${quote(raw)} is not a valid path`);
  }
  if (!entries.has(path)) {
    throw new PlannerError(
      "unknown_head",
      raw,
      `head_path ${quote(raw)} is not a file of the tree`,
    );
  }
  if (!isStepFile(path)) {
    throw new PlannerError("head_not_sql", raw, `head_path ${quote(raw)} is not a .sql file`);
  }
  return path;
}

interface LoadedFiles {
  texts: ReadonlyMap<string, string>;
  sha256(path: string): Promise<Uint8Array>;
}

const encoder = new TextEncoder();

/**
 * Resolves etags (each distinct etag once), checks sizes, normalizes every file. Content hashes
 * are computed lazily, one file at a time, so only one file's bytes are alive at once.
 */
async function loadFiles(
  entries: ReadonlyMap<string, string | EtagEntry>,
  limits: PlannerLimits,
  resolveEtag: EtagResolver | undefined,
): Promise<LoadedFiles> {
  const resolved = await resolveEtags(entries, resolveEtag);
  const texts = new Map<string, string>();
  const hashes = new Map<string, Uint8Array>();
  let total = 0;
  for (const path of [...entries.keys()].sort(comparePaths)) {
    const entry = entries.get(path)!;
    const raw = typeof entry === "string" ? entry : resolved.get(entry.etag)!;
    const bytes = utf8Bytes(raw);
    checkFileBytes(path, bytes, limits);
    total += bytes;
    checkTotalBytes(path, total, limits);
    const text = normalizeContent(path, raw);
    texts.set(path, text);
    if (typeof entry !== "string") {
      const rawSha = await sha256(raw);
      if (`sha256:${toHex(rawSha)}` !== entry.etag) {
        throw new PlannerError(
          "etag_mismatch",
          path,
          `file ${quote(path)}: the content stored for ${entry.etag} has another SHA-256`,
        );
      }
      if (text === raw) hashes.set(path, rawSha);
    }
  }
  return {
    texts,
    async sha256(path) {
      let hash = hashes.get(path);
      if (hash === undefined) {
        hash = await sha256(encoder.encode(texts.get(path)!));
        hashes.set(path, hash);
      }
      return hash;
    },
  };
}

async function resolveEtags(
  entries: ReadonlyMap<string, string | EtagEntry>,
  resolveEtag: EtagResolver | undefined,
): Promise<Map<string, string>> {
  const firstPath = new Map<string, string>();
  for (const [path, entry] of entries) {
    if (typeof entry !== "string" && !firstPath.has(entry.etag)) firstPath.set(entry.etag, path);
  }
  const resolved = new Map<string, string>();
  await Promise.all(
    [...firstPath].map(async ([etag, path]) => {
      const text = resolveEtag === undefined ? undefined : await resolveEtag(etag);
      if (typeof text !== "string") {
        throw new PlannerError("unknown_etag", path, `file ${quote(path)}: unknown etag ${etag}`, {
          etag,
        });
      }
      resolved.set(etag, text);
    }),
  );
  return resolved;
}
