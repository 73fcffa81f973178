// Session settings every step and head runs with, so results do not depend on the server's
// locale, time zone or client defaults. The manifest's `settings` override or extend these; the
// effective set is part of h0. The script engine applies them before each step.

export const DEFAULT_SESSION_SETTINGS: Readonly<Record<string, string>> = Object.freeze({
  TimeZone: "UTC",
  DateStyle: "ISO, MDY",
  IntervalStyle: "postgres",
  lc_messages: "C",
  lc_monetary: "C",
  lc_numeric: "C",
  lc_time: "C",
  extra_float_digits: "1",
  client_encoding: "UTF8",
});

/**
 * Defaults merged with overrides. PostgreSQL setting names are case-insensitive: an override
 * that matches a default replaces it under the default's spelling; any other name is lowercased,
 * so `Search_Path` and `search_path` hash the same.
 */
export function effectiveSettings(
  overrides: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const byLower = new Map<string, string>();
  for (const name of Object.keys(DEFAULT_SESSION_SETTINGS)) byLower.set(name.toLowerCase(), name);
  // A Map, then fromEntries: a setting called `__proto__` stays an ordinary own property.
  const result = new Map(Object.entries(DEFAULT_SESSION_SETTINGS));
  for (const [name, value] of Object.entries(overrides)) {
    const lower = name.toLowerCase();
    result.set(byLower.get(lower) ?? lower, value);
  }
  return Object.fromEntries(result);
}
