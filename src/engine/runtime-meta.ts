// Which meta-commands the interpreter (heads) runs at run time, and how a meta-command line splits
// into commands: psql ends a command's arguments at the next unquoted backslash (`\\` is only a
// separator), except for commands that take the rest of the line.
import type { Token } from "./lexer.ts";

/** Commands that send the query buffer (psql's `\g` family). */
const SEND = new Set(["g", "gx", "gset", "gexec", "gdesc", "crosstabview"]);

/** Commands the interpreter runs itself (output settings, variables from the environment, `\d`...). */
const RUNTIME = new Set([
  "pset",
  "x",
  "a",
  "t",
  "T",
  "C",
  "f",
  "H",
  "timing",
  "p",
  "print",
  "r",
  "reset",
  "encoding",
  "errverbose",
  "conninfo",
]);

/** The `\d` family and `\l`, `\z`, `\sf`, `\sv` (catalog queries psql runs). */
const DESCRIBE = /^(d[a-zA-Z]*\+?x?|lx?\+?|zx?|dconfig\+?|sf\+?|sv\+?)$/;

export function isSendMeta(name: string): boolean {
  return SEND.has(name);
}

export function isRuntimeMeta(name: string): boolean {
  return RUNTIME.has(name) || DESCRIBE.test(name);
}

/** Commands whose argument is the whole rest of the line (OT_WHOLE_LINE in psql). */
const WHOLE_LINE = /^\\(copy|!|help|h|sf\+?|sv\+?|ef|ev|w|write|s|o|out)\b/;

interface MetaPart {
  kind: "meta";
  start: number;
  end: number;
  text: string;
}

/**
 * Splits `\a \x` or `\gset p_ \\ \echo :x` into one token per command, each with its own offsets.
 * Quoted arguments keep their backslashes.
 */
export function splitMetaLine(tok: Token): MetaPart[] {
  const t = tok.text;
  if (WHOLE_LINE.test(t)) return [{ kind: "meta", start: tok.start, end: tok.end, text: t }];
  const parts: MetaPart[] = [];
  let from = 0;
  let i = 1;
  let quote = "";
  const cut = (to: number) => {
    const text = t.slice(from, to);
    if (text.trim() !== "\\\\" && text.trim() !== "")
      parts.push({ kind: "meta", start: tok.start + from, end: tok.start + to, text });
    from = to;
  };
  while (i < t.length) {
    const c = t[i]!;
    if (quote) {
      if (c === "\\" && quote === "'") i++;
      else if (c === quote) quote = "";
    } else if (c === "'" || c === '"' || c === "`") quote = c;
    else if (c === "\\") {
      if (t[i + 1] === "\\") {
        cut(i);
        i += 2;
        from = i;
        continue;
      }
      cut(i);
    }
    i++;
  }
  cut(t.length);
  // `\\` alone ends up empty: re-anchor every part at a backslash.
  return parts
    .map((p) => {
      const k = p.text.indexOf("\\");
      return k <= 0 ? p : { ...p, start: p.start + k, text: p.text.slice(k) };
    })
    .filter((p) => p.text.startsWith("\\"));
}
