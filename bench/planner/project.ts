// A generated project for the planner benchmark: `files` files of SQL-like text adding up to
// `totalBytes`, deterministic (seeded PRNG), all ASCII. The last file is the head (test/q.sql).

export interface GeneratedProject {
  tree: Record<string, string>;
  headPath: string;
  bytes: number;
}

function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return state;
  };
}

const WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india"];

function sqlText(bytes: number, random: () => number, lineEnd: string): string {
  const lines: string[] = [];
  let size = 0;
  while (size < bytes) {
    const id = random() % 1_000_000;
    const word = WORDS[random() % WORDS.length];
    const line = `insert into items (id, name, qty) values (${id}, '${word}-${random() % 9999}', ${random() % 500});${lineEnd}`;
    lines.push(line);
    size += line.length;
  }
  return lines.join("").slice(0, bytes);
}

/** `files - 1` steps split 10% init/, 90% seed/, plus the head; `totalBytes` in all. */
export function generateProject(
  files: number,
  totalBytes: number,
  options: { lineEnd?: string; bom?: boolean; meta?: boolean } = {},
): GeneratedProject {
  const random = prng(42);
  const perFile = Math.floor(totalBytes / files);
  const tree: Record<string, string> = {};
  let bytes = 0;
  for (let i = 0; i < files - 1; i++) {
    const stage = i < files / 10 ? "init" : "seed";
    // `meta`: a psql meta-command on line 1, so an include scanner has to read the whole file.
    const first = options.meta ? `\\echo step ${i}\n` : "";
    const text =
      (options.bom ? "\uFEFF" : "") +
      first +
      sqlText(perFile - first.length, random, options.lineEnd ?? "\n");
    tree[`${stage}/${String(i).padStart(2, "0")}_part/${i}_step.sql`] = text;
    bytes += text.length + (options.bom ? 2 : 0);
  }
  const head = sqlText(totalBytes - bytes, random, "\n");
  tree["test/q.sql"] = head;
  bytes += head.length;
  return { tree, headPath: "test/q.sql", bytes };
}
