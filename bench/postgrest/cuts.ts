// Which statements of PostgREST's fixtures the platform cannot run, and why. Given the errors of a
// `continue`-mode run, each error gets a cause, and its statement (found with the engine's own
// lexer) is cut: replaced by blank lines, so every other statement keeps its line number.
//   superuser  SQLSTATE 42501: the platform's role is not a superuser
//   postgis    the postgis extension, or a statement naming its `geometry` type (not on the platform)
//   dependent  "... does not exist" naming an object that only a statement cut before creates; it
//              inherits that statement's cause
// An error matching none of these is `unexplained`: the bench fails on it.
import { lex } from "../../src/engine/lexer.ts";
import type { HeadError } from "../../src/engine/psql/options.ts";

/** An error of the job view's `result.errors`. */
export type HeadErrorView = Pick<
  HeadError,
  "code" | "message" | "file" | "line" | "column" | "sqlstate"
>;

export interface Cause {
  error: HeadErrorView;
  cause: string;
}

interface Statement {
  file: string;
  start: number;
  end: number;
  text: string;
}

const CREATES =
  /\bcreate\s+(?:or\s+replace\s+)?(?:extension|server|foreign\s+table|table|type|view|role|function|schema)\s+(?:if\s+not\s+exists\s+)?("?[\w.]+"?)/gi;
const MISSING = /^(?:[\w-]+ )+"?([^"\s]+)"? does not exist$/;

/** The statement of `text` that holds (line, column), both 1-based. */
function statementAt(file: string, text: string, line: number, column: number): Statement {
  let offset = 0;
  for (let l = 1; l < line; l++) offset = text.indexOf("\n", offset) + 1;
  offset += column - 1;
  let start = -1;
  for (const t of lex(text)) {
    if (start < 0 && (t.kind === "space" || t.kind.endsWith("comment"))) continue;
    if (start < 0) start = t.start;
    if (t.kind === "semicolon" || t.kind === "meta") {
      if (offset >= start && offset < t.end)
        return { file, start, end: t.end, text: text.slice(start, t.end) };
      start = -1;
    }
  }
  throw new Error(`no statement at ${file}:${line}:${column}`);
}

const lastName = (name: string) =>
  name.replace(/"/g, "").split(".").pop()?.toLowerCase() ?? name.toLowerCase();

export function planCuts(files: Record<string, string>, errors: HeadErrorView[]) {
  const cut: (Statement & { cause: string })[] = [];
  const causes: Cause[] = [];
  const unexplained: HeadErrorView[] = [];
  for (const error of errors) {
    const text = files[error.file];
    if (text === undefined) {
      unexplained.push(error);
      continue;
    }
    const st = statementAt(error.file, text, error.line, error.column);
    let cause: string | undefined;
    if (error.sqlstate === "42501") cause = "superuser";
    else if (/postgis/i.test(error.message) || /\bgeometry\b/i.test(error.message))
      cause = "postgis";
    else {
      const missing = MISSING.exec(error.message.replace(/^.*?ERROR:\s+/, ""))?.[1];
      const root = missing
        ? cut.find((c) =>
            [...c.text.matchAll(CREATES)].some((m) => lastName(m[1] ?? "") === lastName(missing)),
          )
        : undefined;
      if (root) {
        const before = (files[root.file] ?? "").slice(0, root.start);
        const at = `${root.file.split("/").pop()}:${before.split("\n").length}`;
        cause = `${root.cause.split(" ")[0]} (dependent: ${missing} is created at ${at})`;
      }
    }
    if (!cause) {
      unexplained.push(error);
      continue;
    }
    causes.push({ error, cause });
    if (!cut.some((c) => c.file === st.file && c.start === st.start)) cut.push({ ...st, cause });
  }
  // Cut from the end of each file backwards, so earlier offsets stay valid.
  const out = { ...files };
  for (const c of [...cut].sort((a, b) => b.start - a.start)) {
    const t = out[c.file] ?? "";
    out[c.file] = t.slice(0, c.start) + c.text.replace(/[^\n]/g, "") + t.slice(c.end);
  }
  return { files: out, cuts: cut, causes, unexplained };
}
