// Drawing a job for a person: progress lines (stages, steps with replayed / reused badges, log
// lines), result sets as tables (NULL visible, long values folded, row counts, truncated flags),
// the error, and the snapshot summary with the timing.
import type { JobEvent } from "./api.ts";

export interface ResultSet {
  command: string;
  tag: string;
  columns: { name: string; type: string }[];
  rows: (string | null)[][];
  row_count: number;
  truncated: boolean;
}

export interface JobView {
  job_id: string;
  status: string;
  snapshot: {
    tail_hash: string;
    layer_id: string | null;
    hit: boolean;
    reused_steps: number;
    replayed_steps: number;
    tail_steps: number;
    cache_available: boolean;
  } | null;
  result: { sets: ResultSet[] } | null;
  error: {
    code: string;
    message: string;
    file?: string;
    line?: number;
    column?: number;
    detail?: string;
    hint?: string;
  } | null;
  metrics: { latency_ms: number | null; stages_ms: Record<string, number> };
}

const FOLD_AT = 120;
const NUMERIC = new Set(["int2", "int4", "int8", "numeric", "float4", "float8", "oid", "money"]);

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<HTMLElementTagNameMap[K]> = {},
  ...children: (Node | string)[]
) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

function badge(kind: string): HTMLElement {
  return el("span", { className: `badge ${kind}`, textContent: kind });
}

/** One progress line for an event, or null for events the list does not show. */
export function progressItem(e: JobEvent): HTMLLIElement | null {
  const d = e.data;
  const li = el("li");
  li.dataset.type = e.type;
  if (e.type === "stage") {
    if (d.state !== "running") return null;
    li.append(badge("stage"), String(d.stage));
  } else if (e.type === "step") {
    if (d.state === "replayed")
      li.append(
        badge("replayed"),
        `${d.index}/${d.of} ${d.path} · ${Math.round(Number(d.ms ?? 0))} ms`,
      );
    else if (d.state === "reused")
      li.append(badge("reused"), `${d.reused_steps} step(s) from a cached layer`);
    else if (d.state === "progress")
      li.append(
        badge("running"),
        `${d.path}: ${d.statements_done}/${d.statements_total} statements`,
      );
    else return null;
    li.dataset.state = String(d.state);
  } else if (e.type === "log") {
    li.className = "log";
    const at =
      typeof d.file === "string"
        ? `${d.file}${typeof d.line === "number" ? `:${d.line}` : ""}: `
        : "";
    li.textContent = `${at}${String(d.level ?? "log").toUpperCase()}: ${String(d.message ?? "")}`;
  } else if (e.type === "status") {
    li.append(badge(d.terminal === true ? "done" : "status"), String(d.status));
  } else return null;
  return li;
}

function cell(value: string | null, numeric: boolean): HTMLTableCellElement {
  const td = el("td");
  if (numeric) td.className = "num";
  if (value === null) td.append(el("span", { className: "null", textContent: "NULL" }));
  else if (value.length > FOLD_AT || value.split("\n").length > 4) {
    const summary = el("summary", {
      textContent: `${value.slice(0, 60).split("\n")[0]}… (${value.length} chars)`,
    });
    td.append(el("details", { className: "fold" }, summary, value));
  } else td.textContent = value;
  return td;
}

export function resultTables(sets: ResultSet[]): HTMLElement {
  const box = el("div");
  if (sets.length === 0)
    box.append(el("p", { className: "meta", textContent: "The head returned no result set." }));
  sets.forEach((set, i) => {
    const wrap = el("div", { className: "result-set" });
    wrap.dataset.set = String(i);
    if (set.columns.length === 0) {
      wrap.append(el("p", { className: "meta", textContent: set.tag }));
      box.append(wrap);
      return;
    }
    const numeric = set.columns.map((c) => NUMERIC.has(c.type));
    const head = el(
      "tr",
      {},
      ...set.columns.map((c) =>
        el("th", { scope: "col" }, `${c.name} `, el("small", { textContent: c.type })),
      ),
    );
    const body = set.rows.map((row) =>
      el("tr", {}, ...set.columns.map((_, k) => cell(row[k] ?? null, numeric[k] === true))),
    );
    const caption = el("caption", {
      className: "visually-hidden",
      textContent: `result ${i + 1}: ${set.tag}`,
    });
    wrap.append(el("table", {}, caption, el("thead", {}, head), el("tbody", {}, ...body)));
    const count = el("p", {
      className: "meta row-count",
      textContent: `(${set.row_count} ${set.row_count === 1 ? "row" : "rows"}) · ${set.tag}`,
    });
    if (set.truncated)
      count.append(
        " · ",
        el("span", {
          className: "truncated",
          textContent: `truncated: ${set.rows.length} of ${set.row_count} rows shown`,
        }),
      );
    wrap.append(count);
    box.append(wrap);
  });
  return box;
}

/** The server's message without the location it already puts in front (shown separately). */
export function bareMessage(message: string): string {
  return message.replace(
    /^(?:(?:head|tail step) failed at [^:]+: )?(?:[^\s:]+:\d+(?::\d+)?: )?(?:ERROR:\s+)?/,
    "",
  );
}

export function summaryText(view: JobView): string {
  const parts: string[] = [];
  const s = view.snapshot;
  if (s) {
    const kind = s.tail_steps === 0 ? "empty tail" : s.hit ? "cache hit" : "cache miss";
    parts.push(
      `Snapshot: ${kind}, ${s.reused_steps} reused / ${s.replayed_steps} replayed of ${s.tail_steps} tail steps, tail ${s.tail_hash.slice(0, 12)}${s.cache_available ? "" : " (snapshot cache unavailable)"}.`,
    );
  }
  const m = view.metrics;
  if (m.latency_ms !== null) {
    const stages = Object.entries(m.stages_ms)
      .filter(([, ms]) => ms > 0)
      .map(([k, ms]) => `${k} ${Math.round(ms)}`)
      .join(", ");
    parts.push(`Time: ${Math.round(m.latency_ms)} ms${stages ? ` (${stages})` : ""}.`);
  }
  parts.push(`Job ${view.job_id}.`);
  return parts.join(" ");
}
