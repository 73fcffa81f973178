// `sql-runner jobs show|logs|cancel ID`: look at, follow or cancel a job by its id (any job of the
// user, e.g. one a `run` left behind, or one a gateway created for the same user id).
import type { JobEvent, JobView } from "../api-types.ts";
import { COMMON_HELP, connectionOf, onePositional, parse } from "../args.ts";
import { ApiClient } from "../client.ts";
import { EXIT, type ExitCode, UsageError } from "../exit-codes.ts";
import { followJob } from "../follow.ts";
import { cancelJob } from "../jobs.ts";
import { exitCodeOf, printOutcome } from "../outcome.ts";
import type { Io } from "./run.ts";

export const JOBS_USAGE = `Usage: sql-runner jobs show ID [--json]
       sql-runner jobs logs ID [--follow]
       sql-runner jobs cancel ID

  show     the job's status, result tables, error, snapshot summary and timing
           (exit code as for \`run\`: 0 completed, 1 failed, 3 canceled; running jobs exit 0)
  logs     the job's events, one line each; --follow keeps going live until the job ends
  cancel   cancels the job (a finished job keeps its status) and prints the status

${COMMON_HELP}`;

export async function jobsCommand(argv: string[], io: Io): Promise<ExitCode> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parse(
    rest,
    { json: { type: "boolean" }, follow: { type: "boolean", short: "f" } },
    JOBS_USAGE,
  );
  if (values.help || sub === "--help" || sub === "-h") {
    io.stdout.write(`${JOBS_USAGE}\n`);
    return EXIT.completed;
  }
  if (sub !== "show" && sub !== "logs" && sub !== "cancel") {
    throw new UsageError(
      `jobs: expected show, logs or cancel${sub ? `, got ${sub}` : ""}\n\n${JOBS_USAGE}`,
    );
  }
  const id = onePositional(positionals, "one job id", JOBS_USAGE);
  if (!/^[0-9a-f]{32}$/.test(id)) throw new UsageError(`${id}: a job id is 32 hex characters`);
  const client = new ApiClient(connectionOf(values, io.env));
  if (sub === "cancel") {
    io.stdout.write(`job ${id} ${await cancelJob(client, id)}\n`);
    return EXIT.completed;
  }
  if (sub === "show") {
    const view = await client.call<JobView>("GET", `/v1/jobs/${id}`);
    if (view.status === "completed" || view.status === "failed" || view.status === "canceled") {
      return printOutcome(view, new Map(), io, values.json ? { json: true } : {});
    }
    if (values.json) io.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
    else io.stdout.write(`job ${id} ${view.status}${view.stage ? ` (${view.stage})` : ""}\n`);
    return exitCodeOf({ ...view, status: "completed" });
  }
  const print = (e: JobEvent) => {
    io.stdout.write(
      `${String(e.seq).padStart(4)} ${e.ts} ${e.type.padEnd(6)} ${JSON.stringify(e.data)}\n`,
    );
  };
  if (values.follow) {
    await followJob(client, id, print);
    return EXIT.completed;
  }
  for (let after = 0; ; ) {
    const page = await client.call<{ events: JobEvent[]; next_after: number; done: boolean }>(
      "GET",
      `/v1/jobs/${id}/logs?after=${after}&limit=1000`,
    );
    for (const e of page.events) print(e);
    if (page.events.length === 0 || page.next_after === after) return EXIT.completed;
    after = page.next_after;
  }
}
