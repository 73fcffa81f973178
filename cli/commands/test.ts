// `sql-runner test DIR`: every head of the isolated stages (test/, bench/ or the manifest's list),
// a few at a time; a head with a sibling `.out` file must print exactly that (psql aligned output,
// as `run` prints it). A summary table; exit 1 when any head failed or differed.
import type { JobView } from "../api-types.ts";
import { COMMON_HELP, connectionOf, onePositional, parse, variablesOf } from "../args.ts";
import { ApiClient } from "../client.ts";
import { formatJobError } from "../error-report.ts";
import { EXIT, type ExitCode, UsageError } from "../exit-codes.ts";
import { createJob, finalView } from "../jobs.ts";
import { formatResults } from "../outcome.ts";
import { isolatedHeads, readProject } from "../project.ts";
import { formatResultSet } from "../table.ts";
import type { Io } from "./run.ts";

export const TEST_USAGE = `Usage: sql-runner test DIR [options]

Runs every .sql file of the isolated stages (test/ and bench/ unless sql-runner.json says
otherwise) as a head. When test/NAME.out exists, the head's output must equal it exactly
(psql's aligned format, as \`sql-runner run\` prints it). Prints a summary table.

Options:
  --var NAME=VALUE   a psql variable for every head (repeatable)
  --jobs N           heads run at once (default 4)
  --json             print [{ head, status, ok, ... }] as JSON

${COMMON_HELP}

Exit codes: 0 every head passed, 1 a head failed or differed, 2 usage, 4 service unreachable.`;

interface Outcome {
  head: string;
  view: JobView;
  verdict: "ok" | "failed" | "differs" | "canceled";
  diff?: string;
}

function firstDifference(expected: string, actual: string): string {
  const a = expected.split("\n");
  const b = actual.split("\n");
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i])
      return `line ${i + 1}:\n  expected: ${a[i] ?? "(end)"}\n  actual:   ${b[i] ?? "(end)"}`;
  }
  return "";
}

export async function testCommand(argv: string[], io: Io): Promise<ExitCode> {
  const { values, positionals } = parse(
    argv,
    {
      var: { type: "string", multiple: true },
      jobs: { type: "string" },
      json: { type: "boolean" },
    },
    TEST_USAGE,
  );
  if (values.help) {
    io.stdout.write(`${TEST_USAGE}\n`);
    return EXIT.completed;
  }
  const dir = onePositional(positionals, "one project folder", TEST_USAGE);
  const parallel = values.jobs === undefined ? 4 : Number(values.jobs);
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > 16)
    throw new UsageError("--jobs: 1 to 16");
  const variables = variablesOf(values.var);
  const client = new ApiClient(connectionOf(values, io.env));
  const project = await readProject(dir);
  const heads = isolatedHeads(project);
  if (heads.length === 0) {
    throw new UsageError(`${dir}: no .sql file in ${project.manifest.isolated.join(", ")}`);
  }
  const outcomes: Outcome[] = [];
  const queue = [...heads];
  const worker = async () => {
    for (let head = queue.shift(); head !== undefined; head = queue.shift()) {
      const view = await finalView(client, await createJob(client, { project, head, variables }));
      const expected = project.files.get(head.replace(/\.sql$/, ".out"));
      let outcome: Outcome = { head, view, verdict: view.status === "completed" ? "ok" : "failed" };
      if (view.status === "canceled") outcome.verdict = "canceled";
      if (outcome.verdict === "ok" && expected !== undefined) {
        const actual = formatResults(view);
        if (actual !== expected)
          outcome = { ...outcome, verdict: "differs", diff: firstDifference(expected, actual) };
      }
      outcomes.push(outcome);
      if (!values.json) io.stderr.write(`${outcome.verdict.padEnd(8)} ${head}\n`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, heads.length) }, worker));
  outcomes.sort((a, b) => heads.indexOf(a.head) - heads.indexOf(b.head));
  const failed = outcomes.filter((o) => o.verdict !== "ok");
  if (values.json) {
    const rows = outcomes.map((o) => ({
      head: o.head,
      ok: o.verdict === "ok",
      verdict: o.verdict,
      job_id: o.view.job_id,
      status: o.view.status,
      error: o.view.error,
      diff: o.diff ?? null,
    }));
    io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  } else {
    for (const o of failed) {
      io.stderr.write(`\n--- ${o.head} (${o.verdict}, job ${o.view.job_id})\n`);
      if (o.view.error) io.stderr.write(formatJobError(o.view.error, project.files));
      if (o.diff)
        io.stderr.write(`output differs from ${o.head.replace(/\.sql$/, ".out")} at ${o.diff}\n`);
    }
    io.stdout.write(
      formatResultSet({
        command: "SELECT",
        tag: "",
        columns: [
          { name: "head", type: "text" },
          { name: "result", type: "text" },
          { name: "rows", type: "int4" },
          { name: "ms", type: "int4" },
          { name: "tail", type: "text" },
        ],
        rows: outcomes.map((o) => [
          o.head,
          o.verdict,
          String(o.view.result?.sets.reduce((n, s) => n + s.row_count, 0) ?? 0),
          String(Math.round(o.view.metrics.latency_ms ?? 0)),
          o.view.snapshot
            ? o.view.snapshot.hit
              ? "hit"
              : `${o.view.snapshot.replayed_steps} replayed`
            : "",
        ]),
        row_count: outcomes.length,
        truncated: false,
      }),
    );
    io.stdout.write(`${outcomes.length - failed.length} of ${outcomes.length} heads passed\n`);
  }
  return failed.length === 0 ? EXIT.completed : EXIT.failed;
}
