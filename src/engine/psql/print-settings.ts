// psql's print settings (`\pset` and its shortcuts `\x`, `\a`, `\t`) and how `\pset` changes them,
// with the confirmation lines psql prints when not quiet (we always run quiet, as `psql -q`).

export type PrintFormat = "aligned" | "unaligned" | "csv";

export interface PrintSettings {
  format: PrintFormat;
  border: number;
  /** `on`, `off` or `auto` (auto behaves as off: there is no terminal width). */
  expanded: "on" | "off" | "auto";
  tuplesOnly: boolean;
  footer: boolean;
  null: string;
  fieldsep: string;
  recordsep: string;
  csvFieldsep: string;
  title: string;
}

export function defaultPrintSettings(): PrintSettings {
  return {
    format: "aligned",
    border: 1,
    expanded: "off",
    tuplesOnly: false,
    footer: true,
    null: "",
    fieldsep: "|",
    recordsep: "\n",
    csvFieldsep: ",",
    title: "",
  };
}

/** psql's ParseVariableBool for \pset values (also `toggle` when no value is given). */
function toggle(current: boolean, value: string | undefined): boolean | undefined {
  if (value === undefined) return !current;
  const v = value.toLowerCase();
  if (["on", "true", "yes", "1", "t", "y"].includes(v)) return true;
  if (["off", "false", "no", "0", "f", "n"].includes(v)) return false;
  return undefined;
}

/** Applies `\pset name [value]`; returns an error message psql would print, or undefined. */
export function applyPset(
  p: PrintSettings,
  name: string,
  value: string | undefined,
): string | undefined {
  switch (name) {
    case "format": {
      if (value === undefined) return undefined;
      const formats: PrintFormat[] = ["aligned", "unaligned", "csv"];
      const match = formats.filter((f) => f.startsWith(value.toLowerCase()));
      if (match.length !== 1) {
        return `\\pset: allowed formats are aligned, asciidoc, csv, html, latex, latex-longtable, troff-ms, unaligned, wrapped`;
      }
      p.format = match[0]!;
      return undefined;
    }
    case "border":
      if (value !== undefined) p.border = Math.max(0, Math.min(2, Number.parseInt(value, 10) || 0));
      return undefined;
    case "x":
    case "expanded": {
      if (value !== undefined && value.toLowerCase() === "auto") {
        p.expanded = "auto";
        return undefined;
      }
      const on = toggle(p.expanded === "on", value);
      if (on === undefined) return `\\pset: allowed values for expanded are on, off, auto`;
      p.expanded = on ? "on" : "off";
      return undefined;
    }
    case "t":
    case "tuples_only": {
      const on = toggle(p.tuplesOnly, value);
      if (on === undefined)
        return `unrecognized value "${value}" for "tuples_only": Boolean expected`;
      p.tuplesOnly = on;
      return undefined;
    }
    case "footer": {
      const on = toggle(p.footer, value);
      if (on === undefined) return `unrecognized value "${value}" for "footer": Boolean expected`;
      p.footer = on;
      return undefined;
    }
    case "null":
      if (value !== undefined) p.null = value;
      return undefined;
    case "fieldsep":
      if (value !== undefined) p.fieldsep = value;
      return undefined;
    case "fieldsep_zero":
      p.fieldsep = "\0";
      return undefined;
    case "recordsep":
      if (value !== undefined) p.recordsep = value;
      return undefined;
    case "recordsep_zero":
      p.recordsep = "\0";
      return undefined;
    case "csv_fieldsep":
      if (value !== undefined) {
        if (value.length !== 1) return "\\pset: csv_fieldsep must be a single one-byte character";
        p.csvFieldsep = value;
      }
      return undefined;
    case "title":
    case "C":
      p.title = value ?? "";
      return undefined;
    // Settings with no effect on a file's output without a terminal or pager.
    case "pager":
    case "pager_min_lines":
    case "columns":
    case "linestyle":
    case "unicode_border_linestyle":
    case "unicode_column_linestyle":
    case "unicode_header_linestyle":
    case "numericlocale":
    case "tableattr":
    case "T":
    case "xheader_width":
    case "display_false":
    case "display_true":
      return undefined;
    default:
      return `\\pset: unknown option: ${name}`;
  }
}
