// Adapter between the job flow and the script engine: runs one file (a tail step or the head) on
// an instance, with the job's log as the engine's event sink.
import type { ResultSet } from "../api/schemas.ts";
import type { PgConnection } from "../clients/contracts/pg-connection.ts";
import type { Emit } from "./commands.ts";

export interface StepInput {
  files: ReadonlyMap<string, string>;
  entry: string;
  variables: Record<string, string>;
  settings: Record<string, string>;
  /** Hash the engine derives the session's random seed from. */
  seedHash: string;
  connection: PgConnection;
  signal: AbortSignal;
  collectResults: boolean;
  emit: Emit;
}

export async function runStep(_input: StepInput): Promise<ResultSet[]> {
  throw new Error("script engine not available yet");
}
