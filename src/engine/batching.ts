// Groups expanded units into round trips. Consecutive statements (COPY FROM stdin included: the
// server asks for each COPY's data in turn) go as one multi-statement simple query, which the server
// runs as one implicit transaction. Statements that refuse to run inside a transaction block, or
// whose meaning depends on committing first, are sent alone; BEGIN starts a new batch. `\c` ends a batch; `\echo` lines ride
// along and are logged once the statements before them have completed.
import { type ConnectUnit, copyBlocks, type EchoUnit, type SqlUnit, type Unit } from "./units.ts";

export interface BatchStep {
  kind: "batch";
  /** The statements and echo lines in script order. */
  items: (SqlUnit | EchoUnit)[];
  /** The statements only, in order: the i-th CommandComplete belongs to statements[i]. */
  statements: SqlUnit[];
  /** The query text sent: the statements joined by newlines. */
  text: string;
  /** UTF-16 offset of each statement inside `text`. */
  offsets: number[];
}

export interface ConnectStep {
  kind: "connect";
  unit: ConnectUnit;
}

export type Step = BatchStep | ConnectStep;

export interface BatchLimits {
  /** Most statements in one batch (bounds locks held by one implicit transaction). */
  maxStatements?: number;
  /** Most characters of statement text plus COPY data in one batch. */
  maxChars?: number;
}

const ONE = (w: readonly string[], i: number, ...words: string[]) => words.includes(w[i] ?? "");

/**
 * Why a statement must be sent alone (its reason), or undefined when it can share a batch.
 * Covers PostgreSQL's PreventInTransactionBlock commands and transaction-sensitive ones.
 */
export function aloneReason(unit: Pick<SqlUnit, "words" | "text">): string | undefined {
  const w = unit.words;
  const has = (word: string) => w.includes(word);
  switch (w[0]) {
    case "vacuum":
      return "VACUUM cannot run inside a transaction block";
    case "create":
    case "drop":
      if (ONE(w, 1, "database", "tablespace", "subscription")) {
        return `${w[0].toUpperCase()} ${w[1]!.toUpperCase()} cannot run inside a transaction block`;
      }
      if (has("concurrently")) return "... CONCURRENTLY cannot run inside a transaction block";
      return undefined;
    case "reindex":
      if (has("concurrently") || ONE(w, 1, "database", "system")) {
        return "REINDEX DATABASE/SYSTEM/CONCURRENTLY cannot run inside a transaction block";
      }
      return undefined;
    case "alter":
      if (w[1] === "system") return "ALTER SYSTEM cannot run inside a transaction block";
      if (w[1] === "subscription") return "ALTER SUBSCRIPTION may not run in a transaction block";
      if (w[1] === "database" && has("tablespace")) {
        return "ALTER DATABASE SET TABLESPACE cannot run inside a transaction block";
      }
      if (w[1] === "type" && w.some((x, i) => x === "add" && w[i + 1] === "value")) {
        return "a value added by ALTER TYPE ... ADD VALUE is usable only once committed";
      }
      if (has("detach") && has("concurrently")) {
        return "DETACH PARTITION CONCURRENTLY cannot run inside a transaction block";
      }
      return undefined;
    case "cluster":
      return w.length === 1
        ? "CLUSTER without a table cannot run in a transaction block"
        : undefined;
    case "call":
      return "a procedure may commit or roll back";
    case "do":
      return /\b(commit|rollback)\b/i.test(unit.text) ? "a DO block that commits" : undefined;
    case "commit":
    case "rollback":
      return w[1] === "prepared" ? "COMMIT/ROLLBACK PREPARED" : undefined;
    case "prepare":
      return w[1] === "transaction" ? "PREPARE TRANSACTION" : undefined;
    case "discard":
      return w[1] === "all" ? "DISCARD ALL cannot run inside a transaction block" : undefined;
    case "set":
      return w[1] === "transaction" || w[1] === "session"
        ? "SET TRANSACTION applies to the transaction it starts"
        : undefined;
    default:
      return undefined;
  }
}

/**
 * BEGIN inside a multi-statement query would pull the statements before it into the explicit
 * transaction (a later ROLLBACK would undo them), so BEGIN starts a new batch.
 */
export function startsTransaction(unit: Pick<SqlUnit, "words">): boolean {
  const [a, b] = unit.words;
  return a === "begin" || (a === "start" && b === "transaction");
}

/** Splits units into round trips following the rules above. */
export function planSteps(units: readonly Unit[], limits: BatchLimits = {}): Step[] {
  const maxStatements = limits.maxStatements ?? 1000;
  const maxChars = limits.maxChars ?? 8 * 1024 * 1024;
  const steps: Step[] = [];
  let items: (SqlUnit | EchoUnit)[] = [];
  let statements = 0;
  let chars = 0;

  const close = () => {
    if (items.length > 0) steps.push(makeBatch(items));
    items = [];
    statements = 0;
    chars = 0;
  };

  for (const unit of units) {
    if (unit.kind === "connect") {
      close();
      steps.push({ kind: "connect", unit });
      continue;
    }
    if (unit.kind === "echo") {
      items.push(unit);
      continue;
    }
    // Meta units exist only in the interpreter's runtime mode, which does not batch.
    if (unit.kind === "meta") continue;
    // A statement cut at end of file (no `;`) may end inside a quote: it never shares a batch.
    const alone = aloneReason(unit) !== undefined || !unit.text.endsWith(";");
    const size = unit.text.length + copyBlocks(unit).reduce((n, b) => n + b.data.length, 0);
    if (
      alone ||
      startsTransaction(unit) ||
      statements >= maxStatements ||
      (statements > 0 && chars + size > maxChars)
    ) {
      close();
    }
    items.push(unit);
    statements++;
    chars += size;
    if (alone) close();
  }
  close();
  return steps;
}

function makeBatch(items: (SqlUnit | EchoUnit)[]): BatchStep {
  const statements: SqlUnit[] = [];
  const offsets: number[] = [];
  let text = "";
  for (const item of items) {
    if (item.kind !== "sql") continue;
    if (statements.length > 0) text += "\n";
    offsets.push(text.length);
    statements.push(item);
    text += item.text;
  }
  return { kind: "batch", items, statements, text, offsets };
}

/** First words of statements that may follow another statement in the same implicit transaction. */
const CARRY_SAFE = new Set([
  "select",
  "with",
  "values",
  "table",
  "insert",
  "update",
  "delete",
  "create",
  "alter",
  "drop",
  "comment",
  "grant",
  "revoke",
  "truncate",
  "copy",
  "show",
  "explain",
]);

/**
 * Whether the session setup query may ride in front of this batch (one round trip instead of
 * two). Only a batch of two or more statements qualifies (it is already one implicit transaction,
 * so a leading SELECT changes nothing for it), starting with a statement (echo lines keep their
 * order), with no transaction control and nothing that must come first in a transaction; and
 * only when no setting is read at a transaction's start (`default_transaction_*`,
 * `transaction_*`), since the setup would then share the batch's transaction.
 */
export function canCarrySetup(
  step: Step | undefined,
  settings: Readonly<Record<string, string>>,
): step is BatchStep {
  if (step?.kind !== "batch" || step.statements.length < 2) return false;
  if (Object.keys(settings).some((name) => name.toLowerCase().includes("transaction"))) {
    return false;
  }
  if (step.items[0]?.kind !== "sql") return false;
  return step.statements.every(
    (s) => CARRY_SAFE.has(s.words[0] ?? "") && aloneReason(s) === undefined,
  );
}
