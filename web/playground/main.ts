// The playground page's script: wires the file tree, the editor, the head picker, variables,
// Run / Cancel, the live progress and the results together. State lives in store.ts (saved to
// localStorage on every change); the service is reached through the page-session API (api.ts).
import { ApiError, follow, type JobEvent, PageApi, type Started } from "./api.ts";
import { exportZip, importProject } from "./archive.ts";
import { createEditor } from "./editor.ts";
import { renderTree } from "./files.ts";
import { bareMessage, type JobView, progressItem, resultTables, summaryText } from "./render.ts";
import { EXAMPLE, exportJson, heads, load, pathProblem, save } from "./store.ts";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const api = new PageApi(
  document.querySelector<HTMLMetaElement>('meta[name="sql-runner-api"]')?.content ?? "/play/api",
);

let project = load();
let job: Started | null = null;

const statusEl = $<HTMLSpanElement>("status");
const runButton = $<HTMLButtonElement>("run");
const cancelButton = $<HTMLButtonElement>("cancel");
const progress = $<HTMLOListElement>("progress");
const results = $<HTMLDivElement>("results");
const errorBox = $<HTMLDivElement>("error");
const notice = $<HTMLDivElement>("notice");
const summary = $<HTMLParagraphElement>("summary");
const treeMessage = $<HTMLParagraphElement>("tree-message");

const editor = createEditor(
  $("editor"),
  (text) => {
    project.files[project.open] = text;
    save(project);
  },
  () => void run(),
);

function setStatus(status: string): void {
  statusEl.textContent = status;
  statusEl.dataset.status = status;
}

function refresh(): void {
  if (!(project.open in project.files)) project.open = Object.keys(project.files)[0] ?? "";
  const list = heads(project.files);
  if (!list.includes(project.head))
    project.head = list.find((p) => p.startsWith("test/")) ?? list.at(-1) ?? "";
  renderTree($("tree"), project.files, project.open, { open: openFile });
  const select = $<HTMLSelectElement>("head");
  select.replaceChildren(...list.map((p) => new Option(p, p, false, p === project.head)));
  $("open-path").textContent = project.open;
  $<HTMLInputElement>("rename-path").value = project.open;
  renderVariables();
  save(project);
}

function openFile(path: string): void {
  project.open = path;
  editor.open(path, project.files[path] ?? "");
  refresh();
}

function renderVariables(): void {
  const box = $("vars");
  box.replaceChildren();
  project.variables.forEach(([name, value], i) => {
    const row = document.createElement("div");
    row.className = "row";
    const input = (v: string, label: string, set: (s: string) => void) => {
      const field = document.createElement("input");
      field.type = "text";
      field.value = v;
      field.setAttribute("aria-label", label);
      field.addEventListener("input", () => {
        set(field.value);
        save(project);
      });
      return field;
    };
    const remove = document.createElement("button");
    remove.type = "button";
    remove.textContent = "×";
    remove.setAttribute("aria-label", `remove variable ${name}`);
    remove.addEventListener("click", () => {
      project.variables.splice(i, 1);
      refresh();
    });
    row.append(
      input(name, `variable ${i + 1} name`, (s) => {
        project.variables[i] = [s, project.variables[i]?.[1] ?? ""];
      }),
      input(value, `variable ${i + 1} value`, (s) => {
        project.variables[i] = [project.variables[i]?.[0] ?? "", s];
      }),
      remove,
    );
    box.append(row);
  });
}

function showError(view: JobView): void {
  const e = view.error;
  if (!e) return;
  const at = e.file
    ? `${e.file}:${e.line ?? 1}${e.column !== undefined ? `:${e.column}` : ""}: `
    : "";
  errorBox.replaceChildren(`${at}ERROR: ${bareMessage(e.message)}`);
  if (e.detail) errorBox.append(`\nDETAIL: ${e.detail}`);
  if (e.hint) errorBox.append(`\nHINT: ${e.hint}`);
  errorBox.append(`\n(${e.code})`);
  errorBox.hidden = false;
  if (e.file && e.file in project.files && e.line !== undefined) {
    openFile(e.file);
    editor.markError(e.line, e.column, e.message);
  }
}

function showView(view: JobView): void {
  setStatus(view.status);
  statusEl.dataset.final = "true";
  results.replaceChildren(view.result ? resultTables(view.result.sets) : "");
  showError(view);
  summary.textContent = summaryText(view);
}

async function run(): Promise<void> {
  if (job) return;
  progress.replaceChildren();
  results.replaceChildren();
  errorBox.hidden = true;
  notice.hidden = true;
  summary.textContent = "";
  editor.clearError();
  setStatus("starting");
  delete statusEl.dataset.final;
  runButton.disabled = true;
  try {
    const variables = Object.fromEntries(project.variables.filter(([k]) => k !== ""));
    job = await api.start({ project_tree: project.files, head_path: project.head, variables });
    cancelButton.disabled = false;
    const current = job;
    const live = await follow(api, current, {
      event(e: JobEvent) {
        const li = progressItem(e);
        if (li) {
          // A step's statement progress updates its line in place instead of adding one.
          const last = progress.lastElementChild as HTMLElement | null;
          if (li.dataset.state === "progress" && last?.dataset.state === "progress") last.remove();
          progress.append(li);
          li.scrollIntoView({ block: "nearest" });
        }
        if (e.type === "status") setStatus(String(e.data.status));
      },
      refused(why) {
        notice.textContent = why;
        notice.hidden = false;
      },
    });
    // Without a live channel, wait for the end with the job view's long poll.
    let view = await api.view<JobView>(current.job_id);
    while (!live && !["completed", "failed", "canceled"].includes(view.status)) {
      await new Promise((r) => setTimeout(r, 500));
      view = await api.view<JobView>(current.job_id);
    }
    showView(view);
  } catch (err) {
    setStatus("error");
    statusEl.dataset.final = "true";
    const e = err instanceof ApiError ? err : null;
    errorBox.textContent = e
      ? `${String(e.details.path ?? "")}${e.details.path ? ": " : ""}${e.message} (${e.code})`
      : String(err);
    errorBox.hidden = false;
    const path = e?.details.path;
    if (typeof path === "string" && path in project.files && typeof e?.details.line === "number") {
      openFile(path);
      editor.markError(e.details.line, undefined, e.message);
    }
  } finally {
    job = null;
    runButton.disabled = false;
    cancelButton.disabled = true;
  }
}

runButton.addEventListener("click", () => void run());
cancelButton.addEventListener("click", () => {
  if (!job) return;
  cancelButton.disabled = true;
  setStatus("canceling");
  api.cancel(job.job_id).catch((err: Error) => {
    notice.textContent = `Cancel failed: ${err.message}`;
    notice.hidden = false;
  });
});
document.addEventListener("keydown", (e) => {
  if ((e.ctrlKey || e.metaKey) && e.key === "Enter") {
    e.preventDefault();
    void run();
  }
});
$<HTMLSelectElement>("head").addEventListener("change", (e) => {
  project.head = (e.target as HTMLSelectElement).value;
  save(project);
});
$("add-var").addEventListener("click", () => {
  project.variables.push(["", ""]);
  refresh();
});
$<HTMLFormElement>("add-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const field = $<HTMLInputElement>("new-path");
  const path = field.value.trim();
  const problem = pathProblem(path, project.files);
  treeMessage.textContent = problem ?? "";
  if (problem) return;
  project.files[path] = "";
  field.value = "";
  openFile(path);
  editor.focus();
});
$<HTMLFormElement>("rename-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const to = $<HTMLInputElement>("rename-path").value.trim();
  if (to === project.open) return;
  const { [project.open]: text = "", ...others } = project.files;
  const problem = pathProblem(to, others);
  treeMessage.textContent = problem ?? "";
  if (problem) return;
  if (project.head === project.open) project.head = to;
  project.files = { ...others, [to]: text };
  openFile(to);
});
$("delete").addEventListener("click", () => {
  if (Object.keys(project.files).length <= 1) {
    treeMessage.textContent = "a project needs at least one file";
    return;
  }
  delete project.files[project.open];
  treeMessage.textContent = "";
  openFile(Object.keys(project.files)[0] ?? "");
});
function download(name: string, data: BlobPart, type: string): void {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([data], { type }));
  link.download = name;
  link.click();
  URL.revokeObjectURL(link.href);
}
$("export").addEventListener("click", () => {
  download("sql-runner-project.json", exportJson(project), "application/json");
});
$("export-zip").addEventListener("click", () => {
  download(
    "sql-runner-project.zip",
    exportZip(project) as Uint8Array<ArrayBuffer>,
    "application/zip",
  );
});
$<HTMLInputElement>("import").addEventListener("change", async (e) => {
  const input = e.target as HTMLInputElement;
  const file = input.files?.[0];
  if (!file) return;
  try {
    project = importProject(new Uint8Array(await file.arrayBuffer()));
    treeMessage.textContent = `imported ${file.name}`;
    openFile(project.open);
  } catch (err) {
    treeMessage.textContent = `cannot import ${file.name}: ${(err as Error).message}`;
  }
  input.value = ""; // the same file can be imported again
});
$("reset").addEventListener("click", () => {
  project = structuredClone(EXAMPLE);
  openFile(project.open);
});

editor.open(project.open, project.files[project.open] ?? "");
refresh();
document.body.dataset.ready = "true";
