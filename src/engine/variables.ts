// psql variables: quoting for `:'name'` / `:"name"` and psql's boolean parsing for `\if`.

/** Like libpq's PQescapeLiteral: doubles quotes; with backslashes, doubles them and uses E''. */
export function quoteLiteral(value: string): string {
  const body = value.replace(/'/g, "''");
  if (!value.includes("\\")) return `'${body}'`;
  return ` E'${body.replace(/\\/g, "\\\\")}'`;
}

/** Like libpq's PQescapeIdentifier. */
export function quoteIdent(value: string): string {
  return `"${value.replace(/"/g, '""')}"`;
}

/** psql's valid variable names (letters, digits, underscores; non-ASCII allowed). */
export function isValidVariableName(name: string): boolean {
  return /^[A-Za-z0-9_\u0080-\uffff]+$/.test(name);
}

/**
 * psql's ParseVariableBool: true/false, on/off, yes/no, 1/0, case-insensitive, with unique
 * prefixes (`t`, `fa`, `y`, ...; `o` alone is ambiguous). Undefined when not a boolean.
 */
export function parseBool(value: string): boolean | undefined {
  const v = value.trim().toLowerCase();
  if (v === "") return undefined;
  const prefixOf = (word: string) => word.startsWith(v);
  if (prefixOf("true") || prefixOf("yes")) return true;
  if (prefixOf("false") || prefixOf("no")) return false;
  if (v.length >= 2 && prefixOf("on")) return true;
  if (v.length >= 2 && prefixOf("off")) return false;
  if (v === "1") return true;
  if (v === "0") return false;
  return undefined;
}
