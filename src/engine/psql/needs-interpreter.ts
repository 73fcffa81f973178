// Whether a tail step must run in the head interpreter (one statement at a time) rather than the
// batching runner, which expands the whole script before the first statement is sent. Expanding
// ahead is exact unless the script depends on what the server answered: `\gset` (and `\if` on
// what it set), `\gexec`, the `\d` family, or psql's automatic variables (`:DBNAME`,
// `:ROW_COUNT`...). PostgREST's fixtures do (`SELECT ... AS is_orioledb_available \gset`, then
// `\if :is_orioledb_available`; `ALTER DATABASE :DBNAME ...`). Every file the step may include is
// looked at, also in `\if` branches that may not run, so the choice never depends on data. So is
// a step that names standard_conforming_strings: turned off, it changes how the literals after it
// are lexed, which only a statement-at-a-time run (reading the server's setting) gets right.
import { lex } from "../lexer.ts";
import { splitMeta } from "../meta-args.ts";
import { isRuntimeMeta, isSendMeta } from "../runtime-meta.ts";
import { reachableFiles } from "../scan-includes.ts";

/** Variables psql sets itself (session-setup.ts, server-error.ts), which only a session knows. */
const AUTOMATIC = new Set([
  "DBNAME",
  "USER",
  "HOST",
  "PORT",
  "ENCODING",
  "SERVER_VERSION_NAME",
  "SERVER_VERSION_NUM",
  "VERSION",
  "VERSION_NAME",
  "VERSION_NUM",
  "ROW_COUNT",
  "ERROR",
  "SQLSTATE",
  "LAST_ERROR_MESSAGE",
  "LAST_ERROR_SQLSTATE",
]);

/** Matches every way of writing one (`:X`, `:'X'`, `:"X"`, `:{?X}`), and more (in strings). */
const AUTOMATIC_REFERENCE = new RegExp(`:(?:'|"|\\{\\?)?(?:${[...AUTOMATIC].join("|")})\\b`);
const META_VARIABLE = /:(?:'|"|\{\?)?([A-Za-z_][A-Za-z0-9_]*)/g;

export function needsInterpreter(files: ReadonlyMap<string, string>, entry: string): boolean {
  if (namesStringSyntax(files, entry)) return true;
  for (const [, text] of reachableFiles(files, entry)) {
    // Without a backslash (no meta-command) and no text like a reference to an automatic
    // variable, the answer is no without lexing (pg_dump's schemas are full of `::` casts).
    if (!text.includes("\\") && !AUTOMATIC_REFERENCE.test(text)) continue;
    for (const t of lex(text)) {
      if (t.kind === "variable" && t.variable && AUTOMATIC.has(t.variable.name)) return true;
      if (t.kind !== "meta") continue;
      const { name, rest } = splitMeta(t.text);
      if (isSendMeta(name) || isRuntimeMeta(name)) return true;
      // A meta-command's arguments are one token: `\if :ERROR`, `\echo :'DBNAME'`.
      for (const m of rest.matchAll(META_VARIABLE)) if (AUTOMATIC.has(m[1] ?? "")) return true;
    }
  }
  return false;
}

/**
 * Whether the step (or a file it may include) names standard_conforming_strings. A step after
 * one that does runs in the interpreter too: `ALTER DATABASE ... SET standard_conforming_strings
 * = off` in one step is the next step's session default, which only the server knows.
 */
export function namesStringSyntax(files: ReadonlyMap<string, string>, entry: string): boolean {
  for (const [, text] of reachableFiles(files, entry)) {
    if (/standard_conforming_strings/i.test(text)) return true;
  }
  return false;
}
