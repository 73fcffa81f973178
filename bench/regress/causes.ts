// Guesses why a regression file's output differs from its expected output, from the first line
// that differs, so bench:regress can list the differences by cause.

export interface Cause {
  cause: string;
  /** The first differing line (expected -> got), shortened. */
  sample: string;
}

const RULES: [RegExp, string][] = [
  [
    /meta-command not supported|invalid command/,
    "meta-command the interpreter does not run (\\d family, \\bind, pipelines, \\dfn, \\dRp ...)",
  ],
  [/engine failure/, "the engine stopped the script"],
  [
    /regress\.so|could not access file|regresslib/,
    "needs the regress.so test library (not installed)",
  ],
  [
    /does not exist/,
    "object from an earlier test of the schedule (each head runs on the tail alone)",
  ],
  [
    /permission denied|must be superuser|must be owner/,
    "privileges differ from pg_regress's superuser",
  ],
];

export function classify(expected: string, got: string): Cause {
  const e = expected.split("\n");
  const g = got.split("\n");
  let i = 0;
  while (i < e.length && i < g.length && e[i] === g[i]) i++;
  const exp = e[i] ?? "<end>";
  const act = g[i] ?? "<end>";
  const sample = `line ${i + 1}: ${JSON.stringify(exp.slice(0, 70))} -> ${JSON.stringify(act.slice(0, 70))}`;
  for (const [re, cause] of RULES) if (re.test(act)) return { cause, sample };
  if (/^Time: /.test(act)) return { cause: "timing output (\\timing)", sample };
  return { cause: "other (first difference shown)", sample };
}

const SUPERUSER =
  /^(?:psql:[^\n]*: )?ERROR: {2}(must be superuser|permission denied to|permission denied for|must be owner|must be able to SET ROLE)/;

/**
 * The first superuser/privilege error in `got` whose line `expected` does not have (pg_regress runs
 * as a superuser, the platform's role is not one), or undefined.
 */
export function stoppedBySuperuser(expected: string, got: string): string | undefined {
  const have = new Set(expected.split("\n"));
  for (const line of got.split("\n")) {
    if (SUPERUSER.test(line) && !have.has(line.replace(/^psql:[^:]*:\d+: /, ""))) {
      return line.slice(0, 100);
    }
  }
  return undefined;
}
