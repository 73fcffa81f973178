// Argument parsing on Node's util.parseArgs: the options every command shares (where the service
// is, who the user is), `--var k=v` lists, and parse errors turned into usage errors (exit 2).
import { type ParseArgsConfig, parseArgs } from "node:util";
import { type Connection, DEFAULT_TOKEN, DEFAULT_URL } from "./client.ts";
import { UsageError } from "./exit-codes.ts";

type Options = NonNullable<ParseArgsConfig["options"]>;

export const COMMON_OPTIONS = {
  url: { type: "string" },
  user: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const satisfies Options;

export const COMMON_HELP = `Connection:
  --url URL        the service (default $SQL_RUNNER_URL or ${DEFAULT_URL}, what \`npm start\` serves)
  --user ID        the user jobs belong to (default $SQL_RUNNER_USER or "cli")
  The gateway token comes from $SQL_RUNNER_TOKEN (default "${DEFAULT_TOKEN}", the local one).
  -h, --help       this help`;

export function parse<O extends Options>(argv: string[], options: O, usage: string) {
  try {
    return parseArgs({
      args: argv,
      options: { ...COMMON_OPTIONS, ...options },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${usage}`);
  }
}

export function connectionOf(
  values: { url?: unknown; user?: unknown },
  env = process.env,
): Connection {
  const url = typeof values.url === "string" ? values.url : (env.SQL_RUNNER_URL ?? DEFAULT_URL);
  try {
    new URL(url);
  } catch {
    throw new UsageError(`--url: not a URL: ${url}`);
  }
  return {
    url,
    token: env.SQL_RUNNER_TOKEN ?? DEFAULT_TOKEN,
    user: typeof values.user === "string" ? values.user : (env.SQL_RUNNER_USER ?? "cli"),
  };
}

/** `--var name=value` (repeatable) as psql variables; psql's rules for names. */
export function variablesOf(list: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list ?? []) {
    const eq = item.indexOf("=");
    const name = eq < 0 ? item : item.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new UsageError(`--var ${item}: expected NAME=VALUE with NAME of letters, digits and _`);
    }
    if (eq < 0) throw new UsageError(`--var ${item}: expected NAME=VALUE`);
    out[name] = item.slice(eq + 1);
  }
  return out;
}

export function onePositional(positionals: string[], what: string, usage: string): string {
  if (positionals.length !== 1) {
    throw new UsageError(
      `expected ${what}${positionals.length > 1 ? `, got ${positionals.join(" ")}` : ""}\n\n${usage}`,
    );
  }
  return positionals[0] as string;
}
