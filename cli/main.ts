// The `sql-runner` command: dispatches to a subcommand and turns every error into a message and
// an exit code (docs/cli.md). Kept free of process globals so tests can call it with their own io.

import { jobsCommand } from "./commands/jobs.ts";
import type { Io } from "./commands/run.ts";
import { runCommand } from "./commands/run.ts";
import { testCommand } from "./commands/test.ts";
import { watchCommand } from "./commands/watch.ts";
import { EXIT, type ExitCode, RequestError, UnreachableError, UsageError } from "./exit-codes.ts";

export const MAIN_USAGE = `Usage: sql-runner COMMAND [options]

Commands:
  run DIR --head PATH     run a project up to PATH, follow it live, print the results
  test DIR                run every head of the isolated stages (test/, bench/), summary table
  watch DIR --head PATH   run, then run again whenever a file of DIR changes
  jobs show ID            a job's status, results and error
  jobs logs ID            a job's events (--follow: live)
  jobs cancel ID          cancel a job

Run \`sql-runner COMMAND --help\` for a command's options. Docs: docs/cli.md`;

const COMMANDS: Record<string, (argv: string[], io: Io) => Promise<ExitCode>> = {
  run: runCommand,
  test: testCommand,
  watch: watchCommand,
  jobs: jobsCommand,
};

export async function main(argv: string[], io: Io): Promise<ExitCode> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.stdout.write(`${MAIN_USAGE}\n`);
    return name === undefined ? EXIT.usage : EXIT.completed;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr.write(`sql-runner: unknown command ${name}\n\n${MAIN_USAGE}\n`);
    return EXIT.usage;
  }
  try {
    return await command(rest, io);
  } catch (err) {
    if (err instanceof RequestError && !err.message.includes(err.code)) {
      io.stderr.write(`sql-runner: ${err.message} (${err.status} ${err.code})\n`);
      return err.exitCode;
    }
    if (
      err instanceof UsageError ||
      err instanceof UnreachableError ||
      err instanceof RequestError
    ) {
      io.stderr.write(`sql-runner: ${err.message}\n`);
      return err.exitCode;
    }
    io.stderr.write(`sql-runner: unexpected error: ${(err as Error).stack ?? String(err)}\n`);
    return EXIT.failed;
  }
}
