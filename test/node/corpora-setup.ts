// Global setup of the `acceptance` vitest project (Node): reads the shared SQL corpora from
// ../shared/corpora (beside the repo, never copied into it) and provides their texts to the
// acceptance tests, which run inside workerd and cannot read the disk.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const CORPORA_DIR =
  process.env.SQL_RUNNER_CORPORA ?? resolve(REPO_ROOT, "../shared/corpora");

export const CORPUS_FILES = [
  "pagila/pagila-schema.sql",
  "pagila/pagila-data.sql",
  "pagila/pagila-data-inserts.sql",
  "chinook/Chinook_PostgreSql.sql",
  "northwind/northwind.sql",
] as const;

/** CI runs the oldest and the newest engine; `all` (npm run test:acceptance:all) runs 14 to 18. */
export const DEFAULT_ACCEPTANCE_ENGINES = ["14", "18"];
export const ALL_ENGINES = ["14", "15", "16", "17", "18"];

function acceptanceEngines(value: string | undefined): string[] {
  if (!value) return DEFAULT_ACCEPTANCE_ENGINES;
  if (value === "all") return ALL_ENGINES;
  return value.split(",").map((v) => v.trim());
}

export default async function setup(project: TestProject): Promise<void> {
  if (!existsSync(CORPORA_DIR)) {
    throw new Error(`acceptance: corpora not found at ${CORPORA_DIR} (set SQL_RUNNER_CORPORA)`);
  }
  const corpora: Record<string, string> = {};
  for (const f of CORPUS_FILES) corpora[f] = await readFile(join(CORPORA_DIR, f), "utf8");
  project.provide("corpora", corpora);
  project.provide(
    "acceptanceEngines",
    acceptanceEngines(process.env.SQL_RUNNER_ACCEPTANCE_ENGINES),
  );
}

declare module "vitest" {
  export interface ProvidedContext {
    /** Corpus path (e.g. `pagila/pagila-data.sql`) -> file text. */
    corpora: Record<string, string>;
    acceptanceEngines: string[];
  }
}
