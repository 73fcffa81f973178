// What the user sees while a job runs, on stderr (stdout stays for results). On a TTY: one status
// line redrawn in place (stage, step i/n with its path, replayed/reused counts, a bar while a long
// step reports statement progress, elapsed time) with finished steps and log lines scrolling above
// it. Elsewhere: one plain line per event, good for CI logs.
import { styleText } from "node:util";
import type { JobEvent } from "./api-types.ts";

type Style = Parameters<typeof styleText>[0];

export interface Reporter {
  event(event: JobEvent): void;
  /** Clears the live line; called before results are printed. */
  finish(): void;
}

export interface Output {
  write(text: string): void;
  isTTY?: boolean;
  columns?: number;
}

const BAR = 20;

function describeStep(d: Record<string, unknown>): string | null {
  switch (d.state) {
    case "reused":
      // A partial report (the user's own prefix of a longer reused layer) names no layer.
      return `reused   ${d.reused_steps} step(s) from ${typeof d.layer_id === "string" ? `layer ${d.layer_id.slice(0, 12)}` : "a cached layer"}`;
    case "replayed":
      return `replayed ${d.index}/${d.of} ${d.path}${typeof d.ms === "number" ? ` (${Math.round(d.ms)} ms)` : ""}`;
    case "published":
      return `layer    after ${d.path} (${d.size_bytes} bytes)`;
    default:
      return null;
  }
}

function describeLog(d: Record<string, unknown>): string {
  const at =
    typeof d.file === "string"
      ? `${d.file}${typeof d.line === "number" ? `:${d.line}` : ""}: `
      : "";
  return `${at}${String(d.level ?? "log").toUpperCase()}: ${String(d.message ?? "")}`;
}

/** Plain lines: `[stage] tail_replay`, `[step] replayed 2/3 seed/01.sql (12 ms)`, `[log] ...`. */
export function plainReporter(out: Output): Reporter {
  return {
    event(e) {
      const d = e.data;
      let line: string | null = null;
      if (e.type === "status") line = `status ${d.status}`;
      else if (e.type === "stage") line = d.state === "running" ? `stage ${d.stage}` : null;
      else if (e.type === "step") line = describeStep(d);
      else if (e.type === "log") line = describeLog(d);
      if (line !== null) out.write(`${line}\n`);
    },
    finish() {},
  };
}

export function ttyReporter(out: Output, colour: boolean): Reporter {
  const paint = (style: Style, text: string) => (colour ? styleText(style, text) : text);
  const started = Date.now();
  let stage = "pending";
  let step = "";
  let counts = { replayed: 0, reused: 0 };
  let bar: { done: number; total: number } | null = null;
  let shown = false;
  const frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
  let frame = 0;
  const line = () => {
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    const counters = `replayed ${counts.replayed} · reused ${counts.reused} · ${secs}s`;
    const meter =
      bar && bar.total > 0
        ? `[${"#".repeat(Math.round((bar.done / bar.total) * BAR))}${"-".repeat(BAR - Math.round((bar.done / bar.total) * BAR))}] ${bar.done}/${bar.total}`
        : "";
    // The line must not wrap (it is redrawn with \r): the step's path gives way, from its start.
    const room =
      (out.columns ?? 100) -
      1 -
      (1 + 2 + 15 + 2 + (meter ? meter.length + 2 : 0) + 2 + counters.length);
    const chars = [...step];
    const shown =
      room <= 1
        ? ""
        : chars.length > room
          ? `…${chars.slice(chars.length - room + 1).join("")}`
          : step;
    const parts = [
      paint("cyan", frames[frame % frames.length] ?? ""),
      paint("bold", stage.padEnd(15)),
    ];
    if (shown) parts.push(shown);
    if (meter) parts.push(meter);
    parts.push(paint("dim", counters));
    return parts.join("  ");
  };
  const clear = () => {
    if (shown) out.write("\r\x1b[2K");
    shown = false;
  };
  const draw = () => {
    clear();
    out.write(line());
    shown = true;
  };
  const above = (text: string) => {
    clear();
    out.write(`${text}\n`);
    draw();
  };
  const timer = setInterval(() => {
    frame += 1;
    draw();
  }, 100);
  timer.unref();
  return {
    event(e) {
      const d = e.data;
      if (e.type === "stage" && d.state === "running") {
        stage = String(d.stage);
        bar = null;
      } else if (e.type === "status" && d.terminal !== true) {
        if (stage === "pending") stage = String(d.status);
      } else if (e.type === "step") {
        if (d.state === "progress") {
          bar = { done: Number(d.statements_done), total: Number(d.statements_total) };
          step = String(d.path ?? step);
        } else if (d.state === "replayed") {
          counts = { ...counts, replayed: counts.replayed + 1 };
          step = `step ${d.index}/${d.of} ${d.path}`;
          bar = null;
          above(
            `  ${paint("green", "replayed")} ${d.index}/${d.of} ${d.path} ${paint("dim", `${Math.round(Number(d.ms ?? 0))} ms`)}`,
          );
        } else if (d.state === "reused") {
          counts = { ...counts, reused: Number(d.reused_steps) };
          above(`  ${paint("blue", "reused  ")} ${d.reused_steps} step(s) from a cached layer`);
        }
      } else if (e.type === "log") {
        above(`  ${paint("yellow", describeLog(d))}`);
      }
      draw();
    },
    finish() {
      clearInterval(timer);
      clear();
    },
  };
}
