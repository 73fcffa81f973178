// The meta-commands that only change psql variables: `\set`, `\unset` and `\getenv`. They take
// effect while the script is expanded (no server round trip), so the statements after them see
// the new values, as in psql.

import { SCRIPT_ENV_DEFAULTS } from "./copy-file.ts";
import type { ScriptErrorCode } from "./errors.ts";
import { isValidVariableName, parseBool } from "./variables.ts";

export const VARIABLE_META = new Set(["set", "unset", "getenv"]);

export interface VariableScope {
  vars: Map<string, string>;
  /** What `\getenv` reads (the job's variables plus SCRIPT_ENV_DEFAULTS). */
  env: Readonly<Record<string, string>> | undefined;
  fail(code: ScriptErrorCode, message: string): never;
}

/** Applies one of VARIABLE_META with its parsed arguments. */
export function applyVariableMeta(name: string, args: string[], scope: VariableScope): void {
  const { vars } = scope;
  // Annotated, so that TypeScript narrows after a call that never returns.
  const fail: (code: ScriptErrorCode, message: string) => never = scope.fail;
  switch (name) {
    case "set": {
      if (args.length === 0) return; // psql lists the variables: nothing to run.
      const varName = args[0]!;
      if (!isValidVariableName(varName)) {
        fail("script_error", `\\set: invalid variable name "${varName}"`);
      }
      const value = args.slice(1).join("");
      if (varName === "AUTOCOMMIT" && parseBool(value) === false) {
        fail("unsupported_command", "\\set AUTOCOMMIT off is not supported");
      }
      vars.set(varName, value);
      return;
    }
    case "getenv": {
      const [varName, envName] = args;
      if (!varName || !envName) fail("script_error", "\\getenv: missing required argument");
      const value = scope.env?.[envName] ?? SCRIPT_ENV_DEFAULTS[envName];
      if (value !== undefined) vars.set(varName, value);
      return;
    }
    case "unset": {
      const [varName] = args;
      if (!varName) fail("script_error", "\\unset: missing required argument");
      vars.delete(varName);
      return;
    }
  }
}
