// The meta-commands a head refuses before any SQL runs: they reach the host (shell, files, the
// terminal) or redirect output. Every file the script may include is looked at, also in \if
// branches that may not run (a refusal never depends on data).
import { ScriptError } from "../errors.ts";
import { lex } from "../lexer.ts";
import { splitMeta } from "../meta-args.ts";
import { reachableFiles } from "../scan-includes.ts";
import { LineIndex } from "../source-map.ts";

const REFUSED: Record<string, string> = {
  "!": "shell commands are not supported",
  o: "output redirection is not supported",
  out: "output redirection is not supported",
  cd: "changing the working directory is not supported",
  setenv: "setting host environment variables is not supported",
  w: "writing host files is not supported",
  write: "writing host files is not supported",
  s: "command history is not supported",
  e: "editors are not supported",
  edit: "editors are not supported",
  ef: "editors are not supported",
  ev: "editors are not supported",
  prompt: "prompting for input is not supported",
  password: "changing passwords interactively is not supported",
  lo_import: "host files are not reachable",
  lo_export: "host files are not reachable",
};

/** The first refused meta-command of the script and its includes, as a ScriptError. */
export function refusedCommand(
  files: ReadonlyMap<string, string>,
  entry: string,
): ScriptError | undefined {
  for (const [path, text] of reachableFiles(files, entry)) {
    let lines: LineIndex | undefined;
    for (const t of lex(text)) {
      if (t.kind !== "meta") continue;
      const { name, rest } = splitMeta(t.text);
      const reason = why(name, rest);
      if (reason) {
        lines ??= new LineIndex(text);
        const { line, column } = lines.locate(t.start);
        return new ScriptError("unsupported_command", `${path}:${line}: \\${name}: ${reason}`, {
          file: path,
          line,
          column,
        });
      }
    }
  }
  return undefined;
}

function why(name: string, rest: string): string | undefined {
  const reason = REFUSED[name];
  if (reason) return reason;
  // `\g FILE` / `\gx FILE` write a host file; `\g (options)` and `\g |cmd` differ.
  if ((name === "g" || name === "gx") && /^\s*[^\s(\\]/.test(rest)) {
    return "sending output to a file or command is not supported";
  }
  if (/`/.test(rest.replace(/'(?:[^'\\]|\\.)*'/g, "")) && name !== "copy") {
    return "backquoted shell commands are not supported";
  }
  return undefined;
}
