// Loads the pagila sample database (../shared/corpora/pagila, never copied into the repo) into an
// instance's default database with Debian's psql over the instance's unix socket, as `postgres`.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

export const PAGILA_DIR =
  process.env.PAGILA_DIR ??
  fileURLToPath(new URL("../../../shared/corpora/pagila", import.meta.url));

export async function loadPagila(socketDir: string, password: string): Promise<void> {
  if (!existsSync(join(PAGILA_DIR, "pagila-schema.sql"))) {
    throw new Error(`pagila not found at ${PAGILA_DIR} (set PAGILA_DIR)`);
  }
  const psql = process.env.PSQL ?? "/usr/bin/psql";
  for (const file of ["pagila-schema.sql", "pagila-data.sql"]) {
    await run(
      psql,
      [
        "-X",
        "-q",
        "-v",
        "ON_ERROR_STOP=1",
        "-h",
        socketDir,
        "-U",
        "postgres",
        "-d",
        "postgres",
        "-f",
        join(PAGILA_DIR, file),
      ],
      { env: { ...process.env, PGPASSWORD: password }, maxBuffer: 64 << 20 },
    );
  }
}
