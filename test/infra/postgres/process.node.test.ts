// A server that fails to start: its error quotes what this start wrote to the server log, never
// the lines earlier runs of the same instance left there (their ERROR/STATEMENT lines hold users'
// SQL, and env-manager logs this message).
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { findPgBinaries } from "../../../infra/local-dev/postgres/binaries.ts";
import { ensureRunAsUser } from "../../../infra/local-dev/postgres/os-user.ts";
import { startPostgres } from "../../../infra/local-dev/postgres/process.ts";

describe("startPostgres on failure", () => {
  let dir = "";
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("quotes this start's server log lines, not an earlier run's SQL", async () => {
    dir = await mkdtemp(join(tmpdir(), "pg-failed-start-"));
    const marker = `mk${crypto.randomUUID().replaceAll("-", "")}`;
    const logFile = join(dir, "postgres.log");
    await writeFile(
      logFile,
      `ERROR:  relation "t_${marker}" does not exist\nSTATEMENT:  SELECT * FROM t_${marker};\n`,
    );
    const failed = startPostgres({
      binaries: await findPgBinaries(),
      runAs: await ensureRunAsUser(),
      dataDir: join(dir, "no-such-data-dir"),
      socketDir: dir,
      logFile,
      timeoutMs: 10_000,
    });
    const err = await failed.then(
      () => new Error("started"),
      (e: unknown) => e as Error,
    );
    expect(err.message).toContain("server log:");
    // The server's own complaint about the missing directory is there...
    expect(err.message).toContain("no-such-data-dir");
    // ...and nothing from before this start.
    expect(err.message).not.toContain(marker);
  });
});
