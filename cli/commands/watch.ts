// `sql-runner watch DIR --head PATH`: `run`, then again whenever a file of DIR changes (debounced;
// a change during a run starts the next run when it ends). The warm path keeps reruns short: only
// the steps after the edited file replay. Ctrl-C cancels the running job and quits.
import { watch } from "node:fs";
import { onePositional, parse } from "../args.ts";
import { EXIT, type ExitCode } from "../exit-codes.ts";
import { type Io, RUN_OPTIONS, RUN_USAGE, runCommand } from "./run.ts";

export const WATCH_USAGE = `Usage: sql-runner watch DIR --head PATH [run options]

Like \`sql-runner run\`, then runs again each time a file of DIR changes (dot-folders and
node_modules are not watched). Ctrl-C cancels the running job and quits.

${RUN_USAGE.split("\n").slice(4).join("\n")}`;

const DEBOUNCE_MS = 150;

export async function watchCommand(argv: string[], io: Io): Promise<ExitCode> {
  if (argv.includes("--help") || argv.includes("-h")) {
    io.stdout.write(`${WATCH_USAGE}\n`);
    return EXIT.completed;
  }
  const dir = onePositional(
    parse(argv, RUN_OPTIONS, WATCH_USAGE).positionals,
    "one project folder",
    WATCH_USAGE,
  );
  let stopping = false;
  let dirty = true;
  let wake: (() => void) | null = null;
  let timer: NodeJS.Timeout | undefined;
  const watcher = watch(dir, { recursive: true }, (_event, file) => {
    const name = String(file ?? "");
    if (name.split("/").some((seg) => seg.startsWith(".") || seg === "node_modules")) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      dirty = true;
      wake?.();
    }, DEBOUNCE_MS);
  });
  // While a run is going, Ctrl-C goes to it (cancel); between runs it ends the watch.
  let running = false;
  const off = io.onInterrupt(() => {
    if (running) stopping = true;
    else {
      stopping = true;
      wake?.();
    }
  });
  let last: ExitCode = EXIT.completed;
  try {
    while (!stopping) {
      if (dirty) {
        dirty = false;
        running = true;
        last = await runCommand(argv, io).catch((err: unknown) => {
          if (err instanceof Error && "exitCode" in err && err.exitCode === EXIT.usage) throw err;
          io.stderr.write(`sql-runner: ${(err as Error).message}\n`);
          return EXIT.failed as ExitCode;
        });
        running = false;
        if (!stopping) io.stderr.write(`\nwatching ${dir} for changes (Ctrl-C quits)\n`);
        continue;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = null;
    }
    return last;
  } finally {
    clearTimeout(timer);
    watcher.close();
    off();
  }
}
