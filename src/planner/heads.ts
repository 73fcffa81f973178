// Several heads on one tail (`heads`): folder entries expanded to their .sql files, every head
// checked like head_path, and all of them sharing the first head's tail, so one instance booted
// from one layer serves them all (each head runs in its own session).
import { buildChain, isStepFile, tailOf } from "./chain.ts";
import { PlannerError, quote } from "./errors.ts";
import { comparePaths } from "./natural-sort.ts";
import { normalizePath } from "./paths.ts";
import type { Plan } from "./plan.ts";

/**
 * The heads `requested` names, in order, without repeats: `dir/` stands for every .sql file under
 * `dir` (natural path order). At most `max` heads (`too_many_heads` past it).
 */
export function expandHeads(requested: readonly string[], paths: Iterable<string>, max: number) {
  const all = [...paths];
  const out: string[] = [];
  const add = (path: string) => {
    if (!out.includes(path)) out.push(path);
  };
  for (const raw of requested) {
    if (!raw.endsWith("/")) {
      add(normalizeHead(raw));
      continue;
    }
    const dir = `${normalizeHead(raw.slice(0, -1))}/`;
    const found = all.filter((p) => p.startsWith(dir) && isStepFile(p)).sort(comparePaths);
    if (found.length === 0) {
      throw new PlannerError("unknown_head", raw, `heads: ${quote(raw)} holds no .sql file`);
    }
    for (const p of found) add(p);
  }
  if (out.length > max) {
    const folders = requested.filter((r) => r.endsWith("/"));
    throw new PlannerError(
      "too_many_heads",
      folders[0] ?? "",
      `heads: ${folders.map(quote).join(", ")} expand to ${out.length} heads, more than the limit of ${max}`,
      { limit: max },
    );
  }
  return out;
}

function normalizeHead(raw: string): string {
  try {
    return normalizePath(raw);
  } catch {
    throw new PlannerError("unknown_head", raw, `heads: ${quote(raw)} is not a valid path`);
  }
}

/** Checks that every head is a .sql file of the plan's tree with the same tail as `plan.head`. */
export function checkHeads(plan: Plan, heads: readonly string[]): void {
  const chain = buildChain(plan.files.keys(), { stages: [...plan.config.stages] });
  const expected = plan.tail.map((s) => s.path).join("\n");
  for (const head of heads) {
    if (!plan.files.has(head)) {
      throw new PlannerError(
        "unknown_head",
        head,
        `heads: ${quote(head)} is not a file of the tree`,
      );
    }
    if (!isStepFile(head)) {
      throw new PlannerError("head_not_sql", head, `heads: ${quote(head)} is not a .sql file`);
    }
    const tail = tailOf(chain, head)
      .map((s) => s.path)
      .join("\n");
    if (tail !== expected) {
      throw new PlannerError(
        "heads_tail_mismatch",
        head,
        `heads: ${quote(head)} has another tail than ${quote(plan.head.path)}; heads of one job share one tail (put them in an isolated stage such as test/)`,
      );
    }
  }
}
