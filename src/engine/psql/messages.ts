// The text psql prints for a server error or notice: `ERROR:  message`, the `LINE n:` excerpt with
// its `^` cursor under the error position, DETAIL, HINT, QUERY and CONTEXT lines, following libpq's
// rules for VERBOSITY (default, terse, verbose, sqlstate) and SHOW_CONTEXT (never, errors, always).
import { displayWidth } from "./print-table.ts";

export interface ServerMessage {
  severity?: string;
  code?: string;
  message: string;
  position?: string;
  internalPosition?: string;
  internalQuery?: string;
  detail?: string;
  hint?: string;
  where?: string;
  schema?: string;
  table?: string;
  column?: string;
  dataType?: string;
  constraint?: string;
  file?: string;
  line?: string;
  routine?: string;
}

export type Verbosity = "default" | "terse" | "verbose" | "sqlstate";
export type ShowContext = "never" | "errors" | "always";

/** libpq's pqBuildErrorMessage3 for a message from the server; `query` is the text sent. */
export function formatServerMessage(
  m: ServerMessage,
  query: string | undefined,
  verbosity: Verbosity,
  showContext: ShowContext,
  isError: boolean,
): string {
  let out = `${m.severity ?? "ERROR"}:  `;
  let v = verbosity;
  if (v === "sqlstate") {
    if (m.code) return `${out}${m.code}\n`;
    v = "terse";
  }
  if (v === "verbose" && m.code) out += `${m.code}: `;
  out += m.message;
  let cursorText: string | undefined;
  let cursorPos = 0;
  if (m.position !== undefined) {
    if (v !== "terse" && query !== undefined) {
      cursorText = query;
      cursorPos = Number(m.position);
    } else out += ` at character ${m.position}`;
  } else if (m.internalPosition !== undefined) {
    if (v !== "terse" && m.internalQuery !== undefined) {
      cursorText = m.internalQuery;
      cursorPos = Number(m.internalPosition);
    } else out += ` at character ${m.internalPosition}`;
  }
  out += "\n";
  if (v !== "terse") {
    if (cursorText !== undefined && cursorPos > 0) out += errorPosition(cursorText, cursorPos);
    if (m.detail) out += `DETAIL:  ${m.detail}\n`;
    if (m.hint) out += `HINT:  ${m.hint}\n`;
    if (m.internalQuery) out += `QUERY:  ${m.internalQuery}\n`;
    if (showContext === "always" || (showContext === "errors" && isError)) {
      if (m.where) out += `CONTEXT:  ${m.where}\n`;
    }
  }
  if (v === "verbose") {
    if (m.schema) out += `SCHEMA NAME:  ${m.schema}\n`;
    if (m.table) out += `TABLE NAME:  ${m.table}\n`;
    if (m.column) out += `COLUMN NAME:  ${m.column}\n`;
    if (m.dataType) out += `DATATYPE NAME:  ${m.dataType}\n`;
    if (m.constraint) out += `CONSTRAINT NAME:  ${m.constraint}\n`;
    if (m.routine || m.file || m.line) {
      out += "LOCATION:  ";
      if (m.routine) out += `${m.routine}, `;
      if (m.file && m.line) out += `${m.file}:${m.line}`;
      out += "\n";
    }
  }
  return out;
}

const DISPLAY_SIZE = 60;
const MIN_RIGHT_CUT = 10;

/**
 * The `LINE n: ...` excerpt and cursor line for a 1-based character position, with libpq's
 * truncation of long lines to about 60 screen columns (`...` on the cut sides).
 */
export function errorPosition(query: string, position: number): string {
  const loc = position - 1;
  if (loc < 0) return "";
  const chars = [...query].map((c) => (c === "\t" ? " " : c));
  const scr: number[] = [];
  let scroffset = 0;
  let locLine = 1;
  let ibeg = 0;
  let iend = -1;
  let cno = 0;
  for (; cno < chars.length; cno++) {
    const ch = chars[cno]!;
    scr[cno] = scroffset;
    if (ch === "\r" || ch === "\n") {
      if (cno < loc) {
        if (ch === "\r" || cno === 0 || chars[cno - 1] !== "\r") locLine++;
        ibeg = cno + 1;
      } else {
        iend = cno;
        break;
      }
    }
    scroffset += Math.max(1, displayWidth(ch));
  }
  if (iend < 0) {
    iend = cno;
    scr[iend] = scroffset;
  }
  if (loc > cno) return "";
  let begTrunc = false;
  let endTrunc = false;
  const at = (i: number) => scr[i] ?? scroffset;
  if (at(iend) - at(ibeg) > DISPLAY_SIZE) {
    if (at(ibeg) + DISPLAY_SIZE >= at(loc) + MIN_RIGHT_CUT) {
      while (at(iend) - at(ibeg) > DISPLAY_SIZE) iend--;
      endTrunc = true;
    } else {
      while (at(loc) + MIN_RIGHT_CUT < at(iend)) {
        iend--;
        endTrunc = true;
      }
      while (at(iend) - at(ibeg) > DISPLAY_SIZE) {
        ibeg++;
        begTrunc = true;
      }
    }
  }
  const prefix = `LINE ${locLine}: ${begTrunc ? "..." : ""}`;
  const text = chars.slice(ibeg, iend).join("");
  const cursor = displayWidth(prefix) + at(loc) - at(ibeg);
  return `${prefix}${text}${endTrunc ? "..." : ""}\n${" ".repeat(cursor)}^\n`;
}
