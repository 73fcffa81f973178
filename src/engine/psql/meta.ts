// The meta-commands a head runs at run time: print settings (`\pset`, `\x`, `\a`, `\t`, `\C`,
// `\f`), `\timing`, `\p`, `\r`, `\g` with an empty buffer, `\errverbose`, `\encoding`, and the
// catalog commands (`\d`...) through describe.ts. The rest of psql's commands that only make sense
// interactively are reported as `unsupported_command` where they stand (the script goes on when
// on_error is continue).
import type { MetaUnit, SqlUnit } from "../units.ts";
import { parseBool } from "../variables.ts";
import { isPsqlCommand } from "./command-names.ts";
import { describe } from "./describe.ts";
import { applyPset } from "./print-settings.ts";
import type { PsqlSession } from "./session.ts";
import { showFunction, showView } from "./show-definition.ts";

export async function runMeta(s: PsqlSession, u: MetaUnit): Promise<void> {
  const [a0, a1] = u.args;
  switch (u.name) {
    case "pset": {
      if (a0 === undefined) return;
      const err = applyPset(s.print, a0, a1);
      if (err) s.metaError(u, err);
      return;
    }
    case "x":
      report(s, u, applyPset(s.print, "expanded", a0));
      return;
    case "a":
      s.print.format = s.print.format === "aligned" ? "unaligned" : "aligned";
      return;
    case "t":
      report(s, u, applyPset(s.print, "tuples_only", a0));
      return;
    case "C":
      s.print.title = a0 ?? "";
      return;
    case "f":
      if (a0 !== undefined) s.print.fieldsep = a0;
      return;
    case "H":
    case "T":
      s.metaError(u, `\\${u.name}: HTML output is not supported`, "unsupported_command");
      return;
    case "timing": {
      const on = a0 === undefined ? !s.timing : parseBool(a0);
      if (on === undefined)
        s.metaError(u, `unrecognized value "${a0}" for "\\timing": Boolean expected`);
      else s.timing = on;
      return;
    }
    case "p":
    case "print": {
      const text = u.buffer !== "" ? u.buffer : s.lastQuery;
      s.out.write(text === "" ? "Query buffer is empty.\n" : `${text.replace(/\s+$/, "")}\n`);
      return;
    }
    case "r":
    case "reset":
      return;
    case "g":
    case "gx":
    case "gset":
    case "gexec":
    case "crosstabview": {
      if (s.lastQuery === "") {
        if (u.name === "gset" || u.name === "gexec") return;
        s.metaError(u, "\\g: no query buffer");
        return;
      }
      const unit: SqlUnit = {
        kind: "sql",
        text: s.lastQuery,
        segments: [{ text: s.lastQuery, file: u.file, offset: 0, verbatim: false }],
        file: u.file,
        line: u.line,
        column: u.column,
        words: [],
        send: { name: u.name, args: u.args },
      };
      await s.sql(unit);
      return;
    }
    case "encoding":
      if (a0 === undefined) s.out.write(`${s.vars.get("ENCODING") ?? "UTF8"}\n`);
      return;
    case "errverbose":
      s.out.write(`${s.vars.get("LAST_ERROR_MESSAGE") || "There is no previous error."}\n`);
      return;
    case "sv":
    case "sv+":
      await showView(s, u);
      return;
    case "sf":
    case "sf+":
      await showFunction(s, u);
      return;
    case "conninfo":
      s.out.write(
        `You are connected to database "${s.database}" as user "${s.vars.get("USER") ?? ""}" on host "localhost" at port "5432".\n`,
      );
      return;
  }
  if (await describe(s, u)) return;
  const text = isPsqlCommand(u.name)
    ? `\\${u.name}: meta-command not supported`
    : `invalid command \\${u.name}`;
  s.metaError(u, text, "unsupported_command");
}

function report(s: PsqlSession, u: MetaUnit, err: string | undefined): void {
  if (err) s.metaError(u, err);
}
