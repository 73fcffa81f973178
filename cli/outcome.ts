// The end of a job as the CLI prints it: result sets (psql tables, or the service's own psql
// output when it sends one) on stdout; the error with its caret, the snapshot summary and the
// timing on stderr. Also maps the final status to the exit code.
import type { JobView } from "./api-types.ts";
import { formatJobError } from "./error-report.ts";
import { EXIT, type ExitCode } from "./exit-codes.ts";
import type { Output } from "./progress.ts";
import { formatResultSet, type TableOptions } from "./table.ts";

export function exitCodeOf(view: JobView): ExitCode {
  if (view.status === "completed") return EXIT.completed;
  if (view.status === "canceled" || view.error?.code === "timeout") return EXIT.canceled;
  return EXIT.failed;
}

export function formatResults(view: JobView, opts: TableOptions = {}): string {
  if (!view.result) return "";
  if (typeof view.result.output === "string") return view.result.output;
  return view.result.sets.map((set) => formatResultSet(set, opts)).join("");
}

export function formatSummary(view: JobView): string {
  const lines: string[] = [];
  const s = view.snapshot;
  if (s) {
    const kind = s.tail_steps === 0 ? "empty tail" : s.hit ? "hit" : "miss";
    const cache = s.cache_available ? "" : ", snapshot cache unavailable";
    lines.push(
      `snapshot: ${kind} (${s.tail_steps} tail steps: ${s.reused_steps} reused, ${s.replayed_steps} replayed${cache}) tail ${s.tail_hash.slice(0, 12)}${s.layer_id ? ` layer ${s.layer_id.slice(0, 12)}` : ""}`,
    );
  }
  const m = view.metrics;
  if (m.latency_ms !== null) {
    const stages = Object.entries(m.stages_ms)
      .filter(([, ms]) => ms > 0)
      .map(([name, ms]) => `${name} ${Math.round(ms)}`)
      .join(", ");
    lines.push(`time: ${Math.round(m.latency_ms)} ms${stages ? ` (${stages})` : ""}`);
  }
  lines.push(`job ${view.job_id} ${view.status}`);
  return `${lines.join("\n")}\n`;
}

export interface Printers {
  stdout: Output;
  stderr: Output;
}

/** Prints a finished job; returns its exit code. */
export function printOutcome(
  view: JobView,
  files: ReadonlyMap<string, string>,
  io: Printers,
  opts: TableOptions & { json?: boolean } = {},
): ExitCode {
  if (opts.json) {
    io.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
    return exitCodeOf(view);
  }
  io.stdout.write(formatResults(view, opts));
  if (view.error) io.stderr.write(formatJobError(view.error, files));
  // on_error continue: the job completed past its errors; each is reported, as psql does.
  else for (const e of view.result?.errors ?? []) io.stderr.write(formatJobError(e, files));
  io.stderr.write(formatSummary(view));
  return exitCodeOf(view);
}
