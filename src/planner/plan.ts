// planJob: tree + head -> the steps to replay before the head, with one hash per tail prefix so
// a cache lookup can find the longest prefix it already holds.
import { buildChain, isStepFile, stageOf, tailOf } from "./chain.ts";
import { PlannerError, quote } from "./errors.ts";
import {
  chainHash,
  computeH0,
  HASH_FORMAT_VERSION,
  type IncludedFile,
  stepDigest,
  toHex,
} from "./hash.ts";
import { IncludeResolver, type IncludeScanner } from "./includes.ts";
import { type PlannerLimits, resolveLimits } from "./limits.ts";
import { loadFiles, type TextDigest } from "./load.ts";
import { type LayerPolicy, MANIFEST_PATH, parseManifest } from "./manifest.ts";
import { normalizePath } from "./paths.ts";
import { effectiveSettings } from "./settings.ts";
import { checkTree, type EtagResolver, type ProjectTree } from "./tree.ts";

export interface PlanInput {
  tree: ProjectTree;
  headPath: string;
  limits?: Partial<PlannerLimits>;
  resolveEtag?: EtagResolver;
  /** The script engine's include scanner; without it includes are neither followed nor hashed. */
  scanIncludes?: IncludeScanner;
  /** Hex SHA-256 of a file's UTF-8 bytes, when the caller keeps them (skips hashing again). */
  textDigest?: TextDigest;
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
  /** Where layers are kept (not hashed: it never changes a cluster's content). */
  layers: LayerPolicy;
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
  const files = await loadFiles(entries, limits, input.resolveEtag, input.textDigest);

  const manifest = parseManifest(files.texts.get(MANIFEST_PATH));
  const config: PlanConfig = {
    hashFormat: HASH_FORMAT_VERSION,
    engine: manifest.engine,
    extensions: manifest.extensions,
    settings: effectiveSettings(manifest.settings),
    stages: manifest.stages,
    isolated: manifest.isolated,
    layers: manifest.layers,
  };

  const includes = new IncludeResolver(files.texts, input.scanIncludes);
  const headIncludes = includes.closure(headPath);
  const tailSteps = tailOf(buildChain(files.texts.keys(), manifest), headPath);

  let previous = await computeH0(config);
  const h0 = toHex(previous);
  const tail: PlannedStep[] = [];
  for (const [i, step] of tailSteps.entries()) {
    const included = includes.closure(step.path);
    const contentSha = files.sha256.get(step.path)!;
    // No includes: digest_i is the content hash itself (skip an await in the hot loop).
    const digest =
      included.length === 0
        ? contentSha
        : await stepDigest(
            contentSha,
            included.map((path): IncludedFile => ({ path, sha256: files.sha256.get(path)! })),
          );
    previous = new Uint8Array(await chainHash(previous, step.path, digest));
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
