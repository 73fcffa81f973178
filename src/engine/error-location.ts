// Maps a server error back to the script: the `position` PostgreSQL reports (1-based, in characters
// of the whole batch text) goes through the batch's statement offsets and each statement's source
// segments (includes, interpolated variables) to file:line:column. Without a position, the failing
// statement is the one after the last CommandComplete, reported at its first token.

import type { BatchStep } from "./batching.ts";
import type { SourceLocation } from "./errors.ts";
import { type Locator, locateInSegments, offsetOfCodePoint } from "./source-map.ts";
import type { CopyBlock, SqlUnit } from "./units.ts";

export interface FailureSite {
  statement: SqlUnit;
  location: SourceLocation;
}

/**
 * @param completed number of CommandComplete messages received before the error
 * @param position the server's 1-based character position, if it sent one
 */
export function locateFailure(
  step: BatchStep,
  completed: number,
  position: number | undefined,
  locate: Locator,
): FailureSite | undefined {
  if (step.statements.length === 0) return undefined;
  if (position !== undefined && position >= 1) {
    const at = offsetOfCodePoint(step.text, position - 1);
    let idx = 0;
    for (let k = 0; k < step.offsets.length; k++) if (step.offsets[k]! <= at) idx = k;
    const statement = step.statements[idx]!;
    const location = locateInSegments(statement.segments, at - step.offsets[idx]!, locate);
    if (location) return { statement, location };
  }
  const idx = Math.min(Math.max(completed, 0), step.statements.length - 1);
  const statement = step.statements[idx]!;
  return {
    statement,
    location: { file: statement.file, line: statement.line, column: statement.column },
  };
}

/**
 * For errors while loading COPY data: "COPY actor, line 5" -> where that data row is in the script
 * (`copy`: the data block the server was reading).
 */
export function copyDataLocation(
  copy: CopyBlock | undefined,
  where: string | undefined,
): SourceLocation | undefined {
  if (!copy || !where) return undefined;
  const m = /COPY [^,]+, line (\d+)/.exec(where);
  return m ? { file: copy.file, line: copy.line + Number(m[1]) - 1, column: 1 } : undefined;
}
