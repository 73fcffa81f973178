// Types of what test/node/corpora-setup.ts provides to the acceptance tests (workerd side).
import type {} from "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    /** Corpus path (e.g. `pagila/pagila-data.sql`) -> file text. */
    corpora: Record<string, string>;
    /** Engine majors to run the corpora on (SQL_RUNNER_ACCEPTANCE_ENGINES). */
    acceptanceEngines: string[];
  }
}
