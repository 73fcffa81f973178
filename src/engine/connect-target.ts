// The database a `\c` / `\connect` meta-command names, from its parsed arguments, as psql reads
// them (OT_SQLIDHACK: double quotes removed, no case folding), including pg_dump's conninfo form.

function stripQuotes(s: string): string {
  return s.startsWith('"') && s.endsWith('"') && s.length >= 2
    ? s.slice(1, -1).replace(/""/g, '"')
    : s;
}

/**
 * The database a `\c` names: `\c db`, `\c "My Db"`, `\c -reuse-previous=on "dbname='x'"` (what
 * pg_dump writes for unusual names), `\c` or `\c -` (the current one: undefined). null when it
 * names anything else (user, host, port, other connection parameters).
 */
export function connectTarget(rawArgs: readonly string[]): string | undefined | null {
  const args = rawArgs.map(stripQuotes);
  if (args[0]?.startsWith("-reuse-previous")) args.shift();
  const [first, ...others] = args;
  if (others.some((o) => o !== "-")) return null;
  if (first === undefined || first === "-" || first === "") return undefined;
  if (/^postgres(ql)?:\/\//.test(first)) return null;
  if (!first.includes("=")) return first;
  const params = parseConninfo(first);
  if (params?.size !== 1 || !params.has("dbname")) return null;
  return params.get("dbname");
}

/** libpq `key=value` connection strings; values may be single-quoted with backslash escapes. */
function parseConninfo(s: string): Map<string, string> | undefined {
  const out = new Map<string, string>();
  const re = /\s*([A-Za-z_]+)\s*=\s*(?:'((?:[^'\\]|\\.)*)'|([^\s']*))/y;
  let at = 0;
  while (at < s.length) {
    re.lastIndex = at;
    const m = re.exec(s);
    if (!m) return s.slice(at).trim() === "" ? out : undefined;
    out.set(m[1]!, m[2] !== undefined ? m[2].replace(/\\(.)/g, "$1") : (m[3] ?? ""));
    at = re.lastIndex;
  }
  return out;
}
