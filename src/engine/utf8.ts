// The one measure of result sizes: UTF-8 bytes of a string (what PostgreSQL sent), counted without
// encoding it. Every result cap (per set, per job, per page) counts with this function.

/** UTF-8 length of `s` in bytes; a lone surrogate counts 3, as TextEncoder would write U+FFFD. */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) {
      n += 1;
      continue;
    }
    n += 2;
    // A surrogate pair is 4 bytes for its 2 units: skip the low half.
    const d = c >= 0xd800 && c <= 0xdbff ? s.charCodeAt(i + 1) : 0;
    if (d >= 0xdc00 && d <= 0xdfff) i++;
  }
  return n;
}

/** UTF-8 bytes of a row's values (NULL counts 0). */
export function rowBytes(values: readonly (string | null)[]): number {
  let n = 0;
  for (const v of values) if (v !== null) n += utf8Length(v);
  return n;
}
