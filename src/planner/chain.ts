// Chain rules: which files are steps, in which order, and which of them form a head's tail.
//   - A step is a `.sql` file inside a stage folder (any depth). Stages run in manifest order
//     (default init, then seed); inside a stage, files run in natural path order.
//   - Isolated stages (default test, bench) hold heads only: their files are never steps of
//     anybody's tail, and a head there gets every step of the ordinary stages as its tail.
//   - Files outside every stage (root-level files, other folders) are not steps; they can be
//     included, and a `.sql` one can be a head, with the same tail as an isolated head.
import type { Manifest } from "./manifest.ts";
import { comparePaths } from "./natural-sort.ts";

export interface ChainStep {
  path: string;
  stage: string;
}

/** The stage folder holding `path`, or null. Stages never nest (the manifest checks). */
export function stageOf(path: string, stages: readonly string[]): string | null {
  for (const stage of stages) {
    if (
      path.length > stage.length &&
      path.charCodeAt(stage.length) === 47 &&
      path.startsWith(stage)
    ) {
      return stage;
    }
  }
  return null;
}

export function isStepFile(path: string): boolean {
  return path.endsWith(".sql");
}

/** Every step of the ordinary stages, in execution order. */
export function buildChain(
  paths: Iterable<string>,
  manifest: Pick<Manifest, "stages">,
): ChainStep[] {
  const byStage = new Map<string, string[]>(manifest.stages.map((stage) => [stage, []]));
  for (const path of paths) {
    if (!isStepFile(path)) continue;
    const stage = stageOf(path, manifest.stages);
    if (stage !== null) byStage.get(stage)!.push(path);
  }
  const chain: ChainStep[] = [];
  for (const [stage, files] of byStage) {
    files.sort(comparePaths);
    for (const path of files) chain.push({ path, stage });
  }
  return chain;
}

/** The steps that run before `head`: the steps before it in its own stage's chain, else all. */
export function tailOf(chain: readonly ChainStep[], head: string): ChainStep[] {
  const at = chain.findIndex((step) => step.path === head);
  return at < 0 ? [...chain] : chain.slice(0, at);
}
