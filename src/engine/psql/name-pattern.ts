// psql's name patterns for the `\d` family (processSQLNamePattern): `schema.name`, `*` and `?`
// wildcards, letters folded to lower case outside double quotes, regular-expression characters
// escaped; the result is a WHERE clause on the given schema and name columns.

function literal(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** Converts one dot-free part of a pattern to an anchored regular expression. */
function partRegex(part: string): string {
  let out = "";
  let quoted = false;
  for (let i = 0; i < part.length; i++) {
    const c = part[i]!;
    if (c === '"') {
      if (quoted && part[i + 1] === '"') {
        out += '"';
        i++;
      } else quoted = !quoted;
    } else if (!quoted && c === "*") out += ".*";
    else if (!quoted && c === "?") out += ".";
    else if (/[|()[\]{}^$+\\.]/.test(c)) out += `\\${c}`;
    else out += quoted ? c : c.toLowerCase();
  }
  return `^(${out})$`;
}

/** Splits at dots outside double quotes. */
function splitDots(pattern: string): string[] {
  const parts: string[] = [];
  let cur = "";
  let quoted = false;
  for (const c of pattern) {
    if (c === '"') quoted = !quoted;
    if (c === "." && !quoted) {
      parts.push(cur);
      cur = "";
    } else cur += c;
  }
  parts.push(cur);
  return parts;
}

/**
 * The conditions for `pattern` (undefined: none) as `  AND ...` lines; `visible` is the
 * visibility test used when the pattern names no schema.
 */
export function patternClause(
  pattern: string | undefined,
  schemaCol: string | undefined,
  nameCol: string,
  visible: string | undefined,
): string {
  if (pattern === undefined) return visible ? `  AND ${visible}\n` : "";
  const parts = splitDots(pattern);
  const name = parts.at(-1)!;
  const schema = parts.length > 1 ? parts.at(-2) : undefined;
  let out = "";
  if (name !== "" && name !== "*") {
    out += `  AND ${nameCol} OPERATOR(pg_catalog.~) ${literal(partRegex(name))} COLLATE pg_catalog.default\n`;
  }
  if (schema !== undefined && schemaCol) {
    if (schema !== "*" && schema !== "") {
      out += `  AND ${schemaCol} OPERATOR(pg_catalog.~) ${literal(partRegex(schema))} COLLATE pg_catalog.default\n`;
    }
  } else if (visible) out += `  AND ${visible}\n`;
  return out;
}
