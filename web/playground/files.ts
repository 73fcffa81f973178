// The file tree: files grouped by folder (init/, seed/, test/ first), a button per file to open
// it (arrow keys move between them), and the add / rename / delete forms.
import { heads } from "./store.ts";

export interface TreeHandlers {
  open(path: string): void;
}

function folderOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "" : path.slice(0, i);
}

export function renderTree(
  list: HTMLUListElement,
  files: Record<string, string>,
  openPath: string,
  on: TreeHandlers,
): void {
  const order = [
    ...heads(files),
    ...Object.keys(files)
      .filter((p) => !p.endsWith(".sql"))
      .sort(),
  ];
  list.replaceChildren();
  let folder: string | null = null;
  for (const path of order) {
    const dir = folderOf(path);
    if (dir !== folder) {
      folder = dir;
      const li = document.createElement("li");
      li.className = "folder";
      li.textContent = dir === "" ? "/" : `${dir}/`;
      li.setAttribute("aria-hidden", "true");
      list.append(li);
    }
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "file";
    button.dataset.path = path;
    button.textContent = dir === "" ? path : path.slice(dir.length + 1);
    button.setAttribute("aria-label", path);
    button.setAttribute("aria-current", String(path === openPath));
    button.addEventListener("click", () => on.open(path));
    button.addEventListener("keydown", (e) => {
      if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
      e.preventDefault();
      const all = [...list.querySelectorAll<HTMLButtonElement>("button.file")];
      const next = all[all.indexOf(button) + (e.key === "ArrowDown" ? 1 : -1)];
      next?.focus();
    });
    li.append(button);
    list.append(li);
  }
}
