// The playground's project: files, the open file, the head and the variables. Kept in the
// browser's localStorage (one key, saved on every change) and exported / imported as JSON.

export interface Project {
  files: Record<string, string>;
  open: string;
  head: string;
  variables: [string, string][];
}

const KEY = "sql-runner.playground.v1";

export const EXAMPLE: Project = {
  files: {
    "init/01_schema.sql":
      "CREATE TABLE customers (\n  id    int PRIMARY KEY,\n  name  text NOT NULL,\n  city  text\n);\n\nCREATE TABLE orders (\n  id          int PRIMARY KEY,\n  customer_id int REFERENCES customers,\n  total       numeric(8,2) NOT NULL\n);\n",
    "seed/01_rows.sql":
      "INSERT INTO customers VALUES (1, 'Ada', 'London'), (2, 'Grace', 'New York'), (3, 'Edsger', NULL);\nINSERT INTO orders VALUES (1, 1, 120.50), (2, 1, 80.00), (3, 2, 352.25);\n",
    "test/top_customers.sql":
      "-- Customers who spent at least :min_total\nSELECT c.name, c.city, sum(o.total) AS spent, count(*) AS orders\nFROM customers c JOIN orders o ON o.customer_id = c.id\nGROUP BY c.name, c.city\nHAVING sum(o.total) >= :min_total\nORDER BY spent DESC;\n",
  },
  open: "test/top_customers.sql",
  head: "test/top_customers.sql",
  variables: [["min_total", "100"]],
};

function isProject(value: unknown): value is Project {
  if (typeof value !== "object" || value === null) return false;
  const p = value as Record<string, unknown>;
  const files = p.files;
  return (
    typeof files === "object" &&
    files !== null &&
    Object.values(files).every((v) => typeof v === "string") &&
    typeof p.open === "string" &&
    typeof p.head === "string" &&
    isVariables(p.variables)
  );
}

export function isVariables(value: unknown): value is [string, string][] {
  return (
    Array.isArray(value) &&
    value.every(
      (kv) => Array.isArray(kv) && kv.length === 2 && kv.every((x) => typeof x === "string"),
    )
  );
}

/** Parses an exported project; throws with a readable message when it is not one. */
export function parseProject(text: string): Project {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error("not JSON");
  }
  if (!isProject(value))
    throw new Error('expected { "files": { path: text }, "open", "head", "variables" }');
  return value;
}

export function load(): Project {
  const saved = localStorage.getItem(KEY);
  if (saved) {
    try {
      return parseProject(saved);
    } catch {
      // a stale or edited entry: start from the example
    }
  }
  return structuredClone(EXAMPLE);
}

export function save(project: Project): void {
  localStorage.setItem(KEY, JSON.stringify(project));
}

export function exportJson(project: Project): string {
  return `${JSON.stringify(project, null, 2)}\n`;
}

/** Paths as the service accepts them (docs/project-format.md), checked before a round trip. */
export function pathProblem(path: string, files: Record<string, string>): string | null {
  if (path === "") return "the path is empty";
  if (path.startsWith("/") || path.includes("\\"))
    return "paths are relative, with / between folders";
  if (path.split("/").some((s) => s === "" || s === "." || s === ".."))
    return "no empty, . or .. segment";
  if (path in files) return `${path} exists already`;
  for (const other of Object.keys(files)) {
    if (other.startsWith(`${path}/`) || path.startsWith(`${other}/`))
      return `${path} clashes with ${other}`;
  }
  return null;
}

/** .sql files, in the order heads are listed (stage folders first, as the chain runs). */
export function heads(files: Record<string, string>): string[] {
  const rank = (p: string) =>
    p.startsWith("init/") ? 0 : p.startsWith("seed/") ? 1 : p.startsWith("test/") ? 2 : 3;
  return Object.keys(files)
    .filter((p) => p.endsWith(".sql"))
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b, "en", { numeric: true }));
}
