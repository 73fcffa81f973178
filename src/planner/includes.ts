// Files a step pulls in with psql's \i / \include (resolved against the project root, the
// working directory the engine runs psql scripts in) and \ir / \include_relative (against the
// including file's folder), followed recursively. The scanner itself belongs to the script
// engine and is injected, so the planner never parses SQL.
import { PlannerError, quote } from "./errors.ts";
import { dirname, resolveInside } from "./paths.ts";

export interface IncludeRef {
  /** The file name as written after the meta-command. */
  target: string;
  /** true for \ir / \include_relative. */
  relative: boolean;
  /** 1-based line of the meta-command in the including file. */
  line: number;
}

export type IncludeScanner = (content: string) => IncludeRef[];

interface ResolvedInclude {
  path: string;
  line: number;
}

/**
 * Follows includes through a tree of normalized files. Each file is scanned once; each step's
 * closure is computed on demand.
 */
export class IncludeResolver {
  readonly #files: ReadonlyMap<string, string>;
  readonly #scan: IncludeScanner | undefined;
  readonly #direct = new Map<string, ResolvedInclude[]>();

  constructor(files: ReadonlyMap<string, string>, scan: IncludeScanner | undefined) {
    this.#files = files;
    this.#scan = scan;
  }

  /**
   * Every file `root` reaches through includes, each once, in the order psql first runs it
   * (depth-first, in line order). `root` itself is not listed.
   */
  closure(root: string): string[] {
    if (this.#scan === undefined || this.#directIncludes(root).length === 0) return [];
    const order: string[] = [];
    const done = new Set<string>([root]);
    const stack: string[] = [root];
    const visit = (file: string): void => {
      for (const include of this.#directIncludes(file)) {
        const onStack = stack.indexOf(include.path);
        if (onStack >= 0) {
          const cycle = [...stack.slice(onStack), include.path].map(quote).join(" -> ");
          throw new PlannerError(
            "include_cycle",
            file,
            `file ${quote(file)} line ${include.line} includes ${quote(include.path)}, which closes the cycle ${cycle}`,
            { line: include.line, cycle: [...stack.slice(onStack), include.path] },
          );
        }
        if (done.has(include.path)) continue;
        done.add(include.path);
        order.push(include.path);
        stack.push(include.path);
        visit(include.path);
        stack.pop();
      }
    };
    visit(root);
    return order;
  }

  #directIncludes(file: string): ResolvedInclude[] {
    const cached = this.#direct.get(file);
    if (cached !== undefined) return cached;
    const content = this.#files.get(file) ?? "";
    const resolved: ResolvedInclude[] = [];
    // Every psql meta-command starts with a backslash: without one there is nothing to scan
    // (a memchr-speed check that spares most SQL files the scanner's tokenizer).
    const refs = content.includes("\\") ? (this.#scan?.(content) ?? []) : [];
    for (const ref of refs) {
      const path = resolveInside(ref.relative ? dirname(file) : "", ref.target);
      if (path === undefined || !this.#files.has(path)) {
        const command = ref.relative ? "\\ir" : "\\i";
        const where =
          path === undefined ? "it points outside the project" : `no file ${quote(path)}`;
        throw new PlannerError(
          "include_not_found",
          file,
          `file ${quote(file)} line ${ref.line}: ${command} ${quote(ref.target)} not found (${where})`,
          { line: ref.line, target: ref.target },
        );
      }
      resolved.push({ path, line: ref.line });
    }
    this.#direct.set(file, resolved);
    return resolved;
  }
}
