// psql's `\if` / `\elif` / `\else` / `\endif`: a stack of branches. Conditionals are tracked even
// inside inactive branches (so their `\endif`s pair up), but their conditions are only evaluated
// where psql would evaluate them. A file's branches must close in that file (psql's rule too).
import type { SourceLocation } from "./errors.ts";

interface Branch {
  /** This branch's statements run. */
  active: boolean;
  /** Some branch of this \if already ran (or the whole \if sits in an inactive branch). */
  decided: boolean;
  sawElse: boolean;
  where: SourceLocation;
}

const CONDITIONALS = new Set(["if", "elif", "else", "endif"]);

export class BranchStack {
  readonly #branches: Branch[] = [];

  /** True when every enclosing branch runs. */
  get active(): boolean {
    return this.#branches.every((b) => b.active);
  }

  get depth(): number {
    return this.#branches.length;
  }

  /** The innermost open `\if` above `depth`, for "end of file without \endif". */
  unclosedSince(depth: number): SourceLocation | undefined {
    return this.#branches.length > depth ? this.#branches.at(-1)?.where : undefined;
  }

  /**
   * Applies a conditional meta-command; returns false when `name` is not one. `condition()`
   * evaluates the command's arguments, `fail` raises a script error; `fileDepth` is the stack
   * depth when the current file began (an `\endif` cannot close another file's `\if`).
   */
  handle(
    name: string,
    where: SourceLocation,
    fileDepth: number,
    condition: () => boolean,
    fail: (message: string) => never,
  ): boolean {
    if (!CONDITIONALS.has(name)) return false;
    if (name === "if") {
      if (!this.active) {
        this.#branches.push({ active: false, decided: true, sawElse: false, where });
      } else {
        const cond = condition();
        this.#branches.push({ active: cond, decided: cond, sawElse: false, where });
      }
      return true;
    }
    const top = this.#branches.length > fileDepth ? this.#branches.at(-1) : undefined;
    if (!top) fail(`\\${name}: no matching \\if`);
    if (name === "endif") {
      this.#branches.pop();
      return true;
    }
    if (top.sawElse) fail(`\\${name}: cannot occur after \\else`);
    if (name === "else") {
      top.sawElse = true;
      top.active = !top.decided;
      top.decided = true;
      return true;
    }
    if (top.decided) {
      top.active = false;
      return true;
    }
    const outer = this.#branches.slice(0, -1).every((b) => b.active);
    const cond = outer && condition();
    top.active = cond;
    top.decided = cond;
    return true;
  }
}
