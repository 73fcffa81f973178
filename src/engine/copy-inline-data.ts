// COPY ... FROM stdin's inline data as psql reads it from a script: which statements take it, where
// it ends (a line of `\.`), and what of it goes to the server (the lines before that one).

/** True when the statement's top-level words read `COPY ... FROM stdin` (or `FROM stdout`, which the server reads as stdin too). */
export function isCopyFromStdin(words: readonly string[]): boolean {
  if (words[0] !== "copy") return false;
  for (let i = 1; i + 1 < words.length; i++) {
    if (words[i] === "from" && (words[i + 1] === "stdin" || words[i + 1] === "stdout")) return true;
  }
  return false;
}

/** Scans COPY inline data starting at a line start; returns the offset past the `\.` line or EOF. */
export function lexCopyData(text: string, i: number): number {
  const n = text.length;
  let lineStart = i;
  while (lineStart < n) {
    let lineEnd = text.indexOf("\n", lineStart);
    if (lineEnd < 0) lineEnd = n;
    const len = lineEnd - lineStart;
    if (
      (len === 2 || (len === 3 && text.charCodeAt(lineStart + 2) === 13)) &&
      text.charCodeAt(lineStart) === 92 &&
      text.charCodeAt(lineStart + 1) === 46
    ) {
      return Math.min(lineEnd + 1, n);
    }
    lineStart = lineEnd + 1;
  }
  return n;
}

/** The payload of a `copy_data` token: its lines without the `\.` terminator line. */
export function copyPayload(token: { readonly text: string }): string {
  const t = token.text;
  const m = /(^|\n)\\\.\r?\n?$/.exec(t);
  return m ? t.slice(0, m.index + m[1]!.length) : t;
}
