// Project-relative paths for includes: `\i` resolves against the project root (psql's working
// directory), `\ir` against the including file's folder. Nothing may resolve outside the tree.

/** Normalizes `a/./b/../c` to `a/c`; undefined when the path climbs above the root. */
export function normalizePath(path: string): string | undefined {
  const out: string[] = [];
  for (const part of path.replace(/\\/g, "/").split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length === 0) return undefined;
      out.pop();
    } else out.push(part);
  }
  return out.join("/");
}

/** The project path an include names, or undefined when it escapes the project tree. */
export function resolveIncludePath(
  from: string,
  target: string,
  relative: boolean,
): string | undefined {
  if (!relative || target.startsWith("/")) return normalizePath(target);
  const slash = from.lastIndexOf("/");
  const dir = slash < 0 ? "" : from.slice(0, slash);
  return normalizePath(dir === "" ? target : `${dir}/${target}`);
}
