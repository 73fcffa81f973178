// Natural path order: folder by folder, and within a name runs of digits compare as numbers
// (`2_x.sql` before `10_y.sql`). Everything else compares by UTF-16 code unit, never by locale,
// so the order is the same on every machine.

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** End of the digit run starting at `i`. */
function digitsEnd(text: string, i: number): number {
  let end = i;
  while (end < text.length && isDigit(text.charCodeAt(end))) end++;
  return end;
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Natural order of two names (one path segment each). */
export function compareNatural(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(j);
    if (isDigit(x) && isDigit(y)) {
      const endA = digitsEnd(a, i);
      const endB = digitsEnd(b, j);
      // Compare the runs as numbers of any size: strip leading zeros, then length, then digits.
      const na = a.slice(i, endA).replace(/^0+/, "");
      const nb = b.slice(j, endB).replace(/^0+/, "");
      if (na.length !== nb.length) return na.length - nb.length;
      const order = compareCodeUnits(na, nb);
      if (order !== 0) return order;
      i = endA;
      j = endB;
    } else {
      if (x !== y) return x - y;
      i++;
      j++;
    }
  }
  if (a.length - i !== b.length - j) return a.length - i - (b.length - j);
  // Equal as numbers (`1.sql`, `01.sql`): fall back to plain order so the order stays total.
  return compareCodeUnits(a, b);
}

/** Natural order of two paths, segment by segment (`a/10.sql` after `a/9.sql`, `a/b/x` by `b`). */
export function comparePaths(a: string, b: string): number {
  const sa = a.split("/");
  const sb = b.split("/");
  for (let i = 0; i < Math.min(sa.length, sb.length); i++) {
    const order = compareNatural(sa[i]!, sb[i]!);
    if (order !== 0) return order;
  }
  return sa.length - sb.length;
}
