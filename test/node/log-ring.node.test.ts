// The bounded ring that keeps the platform services' log lines for the integration tests.
import { describe, expect, it } from "vitest";
import { LogRing } from "./log-ring.ts";

describe("LogRing", () => {
  it("numbers lines and answers those from `since` on", () => {
    const ring = new LogRing(10);
    for (const n of [0, 1, 2, 3]) ring.push(`line ${n}`);
    expect(ring.since(2)).toEqual({ lines: ["line 2", "line 3"], first: 2, next: 4 });
    expect(ring.since(4)).toEqual({ lines: [], first: 4, next: 4 });
  });

  it("keeps at most its cap once crossed, the newest lines, and starts an old `since` at the oldest kept", () => {
    const ring = new LogRing(10);
    for (let n = 0; n < 57; n++) ring.push(`line ${n}`);
    const got = ring.since(0);
    expect(got.lines).toHaveLength(10);
    expect(got.first).toBe(47);
    expect(got.lines[0]).toBe("line 47");
    expect(got.lines.at(-1)).toBe("line 56");
    expect(got.next).toBe(57);
    expect(ring.since(50).lines).toEqual(got.lines.slice(3));
  });
});
