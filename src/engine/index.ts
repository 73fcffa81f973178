// The script engine's public API: run a psql script against a Client, scan includes for the
// planner, derive the setseed() value, and the shapes those return.
export { type BatchLimits, planSteps } from "./batching.ts";
export { ScriptError, type ScriptErrorCode, type SourceLocation } from "./errors.ts";
export { type ExpandedScript, expandScript } from "./expand.ts";
export { type RunScriptOptions, runScript } from "./runner.ts";
export { type IncludeRef, scanIncludes } from "./scan-includes.ts";
export { seedFromHash, sessionSetupSql } from "./session.ts";
export type {
  ResultColumn,
  ResultLimits,
  ResultSet,
  ScriptEvent,
  ScriptResult,
  ScriptStats,
} from "./types.ts";
