import { describe, expect, it } from "vitest";
import type { JobStatus } from "../../src/jobs/model.ts";
import { canTransition, isTerminal } from "../../src/jobs/state-machine.ts";

const ALL: JobStatus[] = [
  "pending",
  "preparing",
  "running",
  "publishing",
  "completed",
  "failed",
  "canceled",
];

describe("job state machine", () => {
  it("moves forward only", () => {
    expect(canTransition("pending", "preparing")).toBe(true);
    expect(canTransition("preparing", "running")).toBe(true);
    expect(canTransition("running", "publishing")).toBe(true);
    expect(canTransition("publishing", "completed")).toBe(true);
    expect(canTransition("running", "preparing")).toBe(false);
    expect(canTransition("publishing", "running")).toBe(false);
    expect(canTransition("running", "running")).toBe(false);
  });

  it("lets any non-terminal state end, and never leaves a terminal state", () => {
    for (const from of ALL) {
      for (const to of ["completed", "failed", "canceled"] as const) {
        expect(canTransition(from, to), `${from} -> ${to}`).toBe(!isTerminal(from));
      }
      if (isTerminal(from)) {
        for (const to of ALL) expect(canTransition(from, to)).toBe(false);
      }
    }
  });
});
