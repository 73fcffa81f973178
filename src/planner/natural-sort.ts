// Natural path order. Paths compare character by character, with "/" before every other
// character (so a folder's files group together and compare folder by folder), and runs of
// digits compare as numbers of any size (`2_x.sql` before `10_y.sql`). Everything else compares
// by UTF-16 code unit, never by locale, so the order is the same on every machine. Names equal
// as numbers (`1.sql`, `01.sql`) fall back to plain code-unit order, so the order is total.

const SLASH = 47;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Natural order of two paths (or names). Allocation-free: it runs n log n times per plan. */
export function compareNatural(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(j);
    if (isDigit(x) && isDigit(y)) {
      // Skip leading zeros, then the longer run is the bigger number; same length: digit by digit.
      while (i < a.length - 1 && a.charCodeAt(i) === 48 && isDigit(a.charCodeAt(i + 1))) i++;
      while (j < b.length - 1 && b.charCodeAt(j) === 48 && isDigit(b.charCodeAt(j + 1))) j++;
      let endA = i;
      while (endA < a.length && isDigit(a.charCodeAt(endA))) endA++;
      let endB = j;
      while (endB < b.length && isDigit(b.charCodeAt(endB))) endB++;
      if (endA - i !== endB - j) return endA - i - (endB - j);
      for (; i < endA; i++, j++) {
        const order = a.charCodeAt(i) - b.charCodeAt(j);
        if (order !== 0) return order;
      }
    } else {
      if (x !== y) {
        if (x === SLASH) return -1;
        if (y === SLASH) return 1;
        return x - y;
      }
      i++;
      j++;
    }
  }
  const rest = a.length - i - (b.length - j);
  return rest !== 0 ? rest : compareCodeUnits(a, b);
}

/** Natural order of two normalized tree paths. */
export const comparePaths = compareNatural;
