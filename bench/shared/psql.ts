// The psql client the baselines run (Debian's, or $PSQL): quiet, no ~/.psqlrc, stop on the first error.
import { spawn } from "node:child_process";

export const PSQL = process.env.PSQL ?? "/usr/bin/psql";

/** Runs `psql -X -q -v ON_ERROR_STOP=1 <args>`; rejects with its stderr when it fails. */
export function psql(env: NodeJS.ProcessEnv, args: string[]): Promise<void> {
  return new Promise((ok, fail) => {
    const p = spawn(PSQL, ["-X", "-q", "-v", "ON_ERROR_STOP=1", ...args], {
      env,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let err = "";
    p.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    p.on("error", fail);
    p.on("exit", (code) => (code === 0 ? ok() : fail(new Error(`psql exited ${code}: ${err}`))));
  });
}
