// Splits a backslash meta-command line into its name and arguments the way psql's OT_NORMAL
// option scanner does: whitespace separates arguments, '...' is unquoted (with '' and backslash
// escapes), "..." is kept as written, and :name / :'name' / :"name" are interpolated.
import { quoteIdent, quoteLiteral } from "./variables.ts";

export interface MetaCommand {
  /** Command name without the backslash, e.g. `i`, `set`, `if`. */
  name: string;
  /** Text after the name (the raw argument string). */
  rest: string;
}

export function splitMeta(line: string): MetaCommand {
  const m = /^\\([^\s\\]*)/.exec(line);
  const name = m?.[1] ?? "";
  return { name, rest: line.slice(1 + name.length) };
}

export type Lookup = (name: string) => string | undefined;

export class MetaArgError extends Error {}

const SIMPLE_ESCAPES: Record<string, string> = { n: "\n", t: "\t", b: "\b", r: "\r", f: "\f" };

/** Parses the arguments of a meta-command. `lookup` resolves variables (undefined: left as is). */
export function parseMetaArgs(rest: string, lookup: Lookup): string[] {
  const args: string[] = [];
  const n = rest.length;
  let i = 0;
  while (i < n) {
    while (i < n && /\s/.test(rest[i]!)) i++;
    if (i >= n) break;
    let arg = "";
    while (i < n && !/\s/.test(rest[i]!)) {
      const c = rest[i]!;
      if (c === "\\" && rest[i + 1] === "\\") {
        throw new MetaArgError("the \\\\ separator between meta-commands is not supported");
      }
      if (c === "`") throw new MetaArgError("backquoted shell commands are not supported");
      if (c === "'") {
        i++;
        while (i < n) {
          const q = rest[i]!;
          if (q === "'") {
            if (rest[i + 1] === "'") {
              arg += "'";
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (q === "\\" && i + 1 < n) {
            const e = rest[i + 1]!;
            const oct = /^[0-7]{1,3}/.exec(rest.slice(i + 1));
            const hex = /^x([0-9A-Fa-f]{1,2})/.exec(rest.slice(i + 1));
            if (oct) {
              arg += String.fromCharCode(Number.parseInt(oct[0], 8));
              i += 1 + oct[0].length;
            } else if (hex) {
              arg += String.fromCharCode(Number.parseInt(hex[1]!, 16));
              i += 1 + hex[0].length;
            } else {
              arg += SIMPLE_ESCAPES[e] ?? e;
              i += 2;
            }
            continue;
          }
          arg += q;
          i++;
        }
        continue;
      }
      if (c === '"') {
        const close = rest.indexOf('"', i + 1);
        const end = close < 0 ? n : close + 1;
        arg += rest.slice(i, end);
        i = end;
        continue;
      }
      if (c === ":") {
        const v =
          /^:(?:'([A-Za-z0-9_\u0080-\uffff]+)'|"([A-Za-z0-9_\u0080-\uffff]+)"|\{\?([A-Za-z0-9_\u0080-\uffff]+)\}|([A-Za-z0-9_\u0080-\uffff]+))/.exec(
            rest.slice(i),
          );
        if (v) {
          const [whole, lit, ident, defined, plain] = v;
          if (defined !== undefined) arg += lookup(defined) === undefined ? "FALSE" : "TRUE";
          else {
            const value = lookup((lit ?? ident ?? plain)!);
            if (value === undefined) arg += whole;
            else if (lit !== undefined) arg += quoteLiteral(value).trimStart();
            else if (ident !== undefined) arg += quoteIdent(value);
            else arg += value;
          }
          i += whole.length;
          continue;
        }
      }
      arg += c;
      i++;
    }
    args.push(arg);
  }
  return args;
}
