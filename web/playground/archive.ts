// The playground's project as a zip: the files at their paths (a folder the CLI can run as is),
// plus one settings entry for the open file, the head and the variables. Import accepts such a
// zip, a zip of any project folder (one wrapping folder is unwrapped), or the JSON export; it
// is bounded because the zip comes from the user: entry count and declared sizes are checked
// before anything is inflated, and the inflated sizes again after.
import { strFromU8, strToU8, unzipSync, zipSync } from "fflate";
import { heads, isVariables, type Project, parseProject, pathProblem } from "./store.ts";

/** The entry holding what is not a file: open, head, variables. */
export const SETTINGS_ENTRY = ".sql-runner-playground.json";
export const MAX_IMPORT_FILES = 2000;
export const MAX_IMPORT_BYTES = 16 * 1024 * 1024;

export function exportZip(project: Project): Uint8Array {
  const entries: Record<string, Uint8Array> = {};
  for (const [path, text] of Object.entries(project.files)) entries[path] = strToU8(text);
  const { open, head, variables } = project;
  entries[SETTINGS_ENTRY] = strToU8(`${JSON.stringify({ open, head, variables }, null, 2)}\n`);
  return zipSync(entries, { level: 6 });
}

/** A JSON export or a zip, told apart by the zip's "PK\x03\x04" signature. */
export function importProject(bytes: Uint8Array): Project {
  const isZip = bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 3 && bytes[3] === 4;
  return isZip ? importZip(bytes) : parseProject(strFromU8(bytes));
}

function importZip(bytes: Uint8Array): Project {
  let count = 0;
  let declared = 0;
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes, {
      filter: (file) => {
        if (file.name.endsWith("/") || ignored(file.name)) return false;
        count += 1;
        declared += file.originalSize;
        if (count > MAX_IMPORT_FILES) throw new Limit(`more than ${MAX_IMPORT_FILES} files`);
        if (declared > MAX_IMPORT_BYTES)
          throw new Limit(`more than ${MAX_IMPORT_BYTES / 1048576} MiB`);
        return true;
      },
    });
  } catch (err) {
    throw err instanceof Limit ? err : new Error("not a readable zip");
  }
  const inflated = Object.values(entries).reduce((n, data) => n + data.length, 0);
  if (inflated > MAX_IMPORT_BYTES) throw new Limit(`more than ${MAX_IMPORT_BYTES / 1048576} MiB`);
  return toProject(unwrap(entries));
}

class Limit extends Error {
  constructor(what: string) {
    super(
      `the zip has ${what}; the playground takes at most ${MAX_IMPORT_FILES} files and ${MAX_IMPORT_BYTES / 1048576} MiB`,
    );
  }
}

/** Archive litter that is never part of a project (macOS resource forks, dot-folders). */
function ignored(name: string): boolean {
  const segments = name.split("/");
  if (segments.includes("__MACOSX")) return true;
  // "." and ".." are not dot-folders: they reach the path check and are refused there.
  const dotted = (s: string) => s.startsWith(".") && s !== "." && s !== "..";
  return segments.some((s, i) => dotted(s) && !(i === segments.length - 1 && s === SETTINGS_ENTRY));
}

/**
 * `shop/init/01.sql`, `shop/test/q.sql` → `init/01.sql`, `test/q.sql`: a folder wrapping the whole
 * project goes. A folder holding .sql files itself (`init/a.sql`) is part of the project.
 */
function unwrap(entries: Record<string, Uint8Array>): Record<string, Uint8Array> {
  const paths = Object.keys(entries);
  const first = paths[0]?.split("/")[0];
  if (!first || !paths.every((p) => p.startsWith(`${first}/`))) return entries;
  if (paths.some((p) => p.split("/").length === 2 && p.endsWith(".sql"))) return entries;
  return Object.fromEntries(
    paths.map((p) => [p.slice(first.length + 1), entries[p] as Uint8Array]),
  );
}

function toProject(entries: Record<string, Uint8Array>): Project {
  const files: Record<string, string> = {};
  let settings: unknown = {};
  for (const [path, data] of Object.entries(entries)) {
    if (path === SETTINGS_ENTRY) {
      try {
        settings = JSON.parse(strFromU8(data));
      } catch {
        throw new Error(`${SETTINGS_ENTRY} is not JSON`);
      }
    } else {
      const problem = pathProblem(path, files);
      if (problem) throw new Error(problem.includes(path) ? problem : `${path}: ${problem}`);
      files[path] = strFromU8(data);
    }
  }
  const sql = heads(files);
  if (sql.length === 0) throw new Error("the zip has no .sql file");
  const given = settings as Partial<Project>;
  const head =
    typeof given.head === "string" && given.head in files ? given.head : (sql.at(-1) as string);
  const open = typeof given.open === "string" && given.open in files ? given.open : head;
  const variables = isVariables(given.variables) ? given.variables : [];
  return { files, open, head, variables };
}
