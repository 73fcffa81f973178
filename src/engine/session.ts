// Deterministic session defaults: one round trip before each step (and after each \c) sets the
// configured settings with set_config(), seeds random() with setseed(), and reads back the current
// database name.

/** A setseed() argument in [-1, 1] derived from the first 8 hex digits of a hash. */
export function seedFromHash(hex: string): number {
  const n = Number.parseInt(hex.slice(0, 8).padEnd(8, "0"), 16);
  if (!Number.isFinite(n)) throw new Error("seedFromHash: not a hex string");
  return (n / 0xffffffff) * 2 - 1;
}

function literal(s: string): string {
  // standard_conforming_strings is on (and cannot be turned off per-literal with E''): only quotes
  // need doubling; E'' with doubled backslashes is safe either way.
  return `E'${s.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`;
}

/**
 * Defaults only a superuser may set, unless granted (GRANT SET ON PARAMETER, PostgreSQL 15+). They
 * are set only when they differ, so on PostgreSQL 14 a session whose server already runs with the
 * default (the platform's postgresql.conf says lc_messages = 'C') does not fail on it.
 */
const SUPERUSER_PARAMETERS = new Set(["lc_messages"]);

/** `SELECT set_config(...), ..., setseed(seed), current_database()` as one statement. */
export function sessionSetupSql(settings: Readonly<Record<string, string>>, seed: number): string {
  if (!(seed >= -1 && seed <= 1)) throw new RangeError(`seed ${seed} is outside [-1, 1]`);
  const calls = Object.entries(settings).map(([name, value]) => {
    const set = `set_config(${literal(name)}, ${literal(value)}, false)`;
    if (!SUPERUSER_PARAMETERS.has(name.toLowerCase())) return set;
    return `CASE WHEN current_setting(${literal(name)}) = ${literal(value)} THEN ${literal(value)} ELSE ${set} END`;
  });
  calls.push(`setseed(${seed})`, "current_database()");
  return `SELECT ${calls.join(", ")}`;
}
