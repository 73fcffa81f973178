// `sql-runner run DIR --head PATH`: send the project, follow the job live, print its results,
// error (with a caret under the column), snapshot summary and timing. Ctrl-C cancels the job.
import { COMMON_HELP, connectionOf, onePositional, parse, variablesOf } from "../args.ts";
import { ApiClient } from "../client.ts";
import { type ExitCode, UsageError } from "../exit-codes.ts";
import { followJob } from "../follow.ts";
import { cancelJob, createJob, finalView } from "../jobs.ts";
import { printOutcome } from "../outcome.ts";
import { type Output, plainReporter, type Reporter, ttyReporter } from "../progress.ts";
import { readProject } from "../project.ts";

export const RUN_USAGE = `Usage: sql-runner run DIR --head PATH [options]

Runs the project in DIR up to the head PATH (a .sql file of DIR, e.g. test/top.sql) and prints
its result sets as psql does. Progress goes to stderr; results to stdout.

Options:
  --head PATH          the file to run; its tail is replayed or restored from a cached layer
  --var NAME=VALUE     a psql variable for the head (repeatable): :NAME, :'NAME', :"NAME"
  --on-error continue  keep running the head's statements after an error (psql ON_ERROR_STOP off)
  --timeout MS         the job's wall-time limit (timeout_ms; default the service's, 60000)
  --null TEXT          how NULL is shown in tables (default empty, as psql)
  --json               print the job view as JSON instead of tables
  --no-progress        no live progress display

${COMMON_HELP}

Exit codes: 0 completed, 1 failed, 2 usage, 3 canceled or timed out, 4 service unreachable.
Ctrl-C cancels the job (a second Ctrl-C quits without waiting).`;

export const RUN_OPTIONS = {
  head: { type: "string" },
  var: { type: "string", multiple: true },
  "on-error": { type: "string" },
  timeout: { type: "string" },
  null: { type: "string" },
  json: { type: "boolean" },
  "no-progress": { type: "boolean" },
} as const;

export interface Io {
  stdout: Output;
  stderr: Output;
  env: NodeJS.ProcessEnv;
  /** Subscribes to SIGINT; returns an unsubscribe function. */
  onInterrupt(handler: () => void): () => void;
}

export function reporterFor(io: Io, enabled: boolean): Reporter {
  if (!enabled) return { event() {}, finish() {} };
  if (io.stderr.isTTY) return ttyReporter(io.stderr, !io.env.NO_COLOR);
  return plainReporter(io.stderr);
}

export async function runCommand(argv: string[], io: Io): Promise<ExitCode> {
  const { values, positionals } = parse(argv, RUN_OPTIONS, RUN_USAGE);
  if (values.help) {
    io.stdout.write(`${RUN_USAGE}\n`);
    return 0;
  }
  const dir = onePositional(positionals, "one project folder", RUN_USAGE);
  if (!values.head) throw new UsageError(`--head is required\n\n${RUN_USAGE}`);
  const onError = values["on-error"];
  if (onError !== undefined && onError !== "continue" && onError !== "stop") {
    throw new UsageError(`--on-error: expected "continue" or "stop", got ${onError}`);
  }
  const timeoutMs = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeoutMs !== undefined && !Number.isInteger(timeoutMs))
    throw new UsageError("--timeout: milliseconds");
  const variables = variablesOf(values.var);
  const client = new ApiClient(connectionOf(values, io.env));
  const project = await readProject(dir);
  const head = values.head.replace(/^\.\//, "");
  if (!project.files.has(head)) {
    throw new UsageError(
      `--head ${head}: no such file in ${dir} (paths are relative to the folder)`,
    );
  }
  const progress = !values["no-progress"] && !(values.json && !io.stderr.isTTY);
  const jobId = await createJob(client, {
    project,
    head,
    variables,
    onUpload: (u) => {
      if (progress) io.stderr.write(`files: ${u.sent} sent, ${u.held} already on the service\n`);
    },
    ...(onError !== undefined ? { onError } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
  });
  const reporter = reporterFor(io, progress);
  let interrupts = 0;
  const quit = new AbortController();
  const off = io.onInterrupt(() => {
    interrupts += 1;
    if (interrupts > 1) return quit.abort();
    io.stderr.write(`\ncanceling job ${jobId}... (Ctrl-C again to quit without waiting)\n`);
    cancelJob(client, jobId).catch((err: Error) =>
      io.stderr.write(`cancel failed: ${err.message}\n`),
    );
  });
  try {
    const follow = followJob(client, jobId, (e) => reporter.event(e), {
      signal: quit.signal,
      note: (m) => io.stderr.write(`${m}\n`),
    });
    const aborted = new Promise<"quit">((resolve) =>
      quit.signal.addEventListener("abort", () => resolve("quit")),
    );
    if ((await Promise.race([follow, aborted])) === "quit") {
      reporter.finish();
      io.stderr.write(`job ${jobId} left running its cancel\n`);
      return 3;
    }
    reporter.finish();
    const view = await finalView(client, jobId);
    return printOutcome(view, project.files, io, {
      ...(values.json ? { json: true } : {}),
      ...(values.null !== undefined ? { nullText: values.null } : {}),
    });
  } finally {
    reporter.finish();
    off();
  }
}
