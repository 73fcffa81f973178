// One result row is capped on its way through the proxy (row-guard.ts): headers are read as the
// bytes pass, nothing is buffered, and a DataRow over the cap ends the session with a FATAL error
// naming the limit before any of the row reaches the client.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RowGuard } from "../../../infra/local-dev/env-manager/row-guard.ts";
import {
  connectViaProxy,
  createBaseInstance,
  startTestEnv,
  type TestEnv,
} from "../../../infra/local-dev/env-manager/test-harness.ts";

/** A backend message: type byte, length (itself included), body. */
function message(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0);
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

describe("RowGuard", () => {
  const stream = Buffer.concat([
    message("T", Buffer.alloc(20, 1)),
    message("D", Buffer.alloc(100, 2)),
    message("D", Buffer.alloc(3, 3)),
    message("C", Buffer.from("SELECT 2\0")),
    message("Z", Buffer.from("I")),
  ]);

  it("forwards every byte, in order, wherever the chunks are cut", () => {
    for (let size = 1; size <= stream.length; size++) {
      const guard = new RowGuard(100);
      const out: Buffer[] = [];
      for (let i = 0; i < stream.length; i += size) {
        const r = guard.push(stream.subarray(i, i + size));
        expect(r.oversized).toBeUndefined();
        out.push(Buffer.from(r.forward));
      }
      expect(Buffer.concat(out).equals(stream)).toBe(true);
    }
  });

  it("stops before the header of a row over the cap, and forwards what came before it", () => {
    for (let size = 1; size <= stream.length; size++) {
      const guard = new RowGuard(99);
      const out: Buffer[] = [];
      let oversized: { bytes: number } | undefined;
      for (let i = 0; i < stream.length && !oversized; i += size) {
        const r = guard.push(stream.subarray(i, i + size));
        out.push(Buffer.from(r.forward));
        oversized = r.oversized;
      }
      expect(oversized).toEqual({ bytes: 100 });
      // Only the RowDescription (25 bytes) passed; no byte of the row, not even its header.
      expect(Buffer.concat(out).equals(stream.subarray(0, 25))).toBe(true);
    }
  });
});

describe("the proxy's row cap", () => {
  let env: TestEnv;
  // biome-ignore lint/suspicious/noExplicitAny: the create reply is read field by field.
  let created: any;

  beforeAll(async () => {
    env = await startTestEnv({ maxRowBytes: 64 * 1024 });
    created = await createBaseInstance(env);
  });
  afterAll(async () => {
    await env?.close();
  });

  it("passes rows up to the cap and ends the session with 54000 at the first row over it", async () => {
    const c = await connectViaProxy(created.connection);
    const ok = await c.query("SELECT repeat('x', 60000) AS v, g FROM generate_series(1, 3) g");
    expect(ok.rows.map((r) => r.v.length)).toEqual([60000, 60000, 60000]);
    const err = await c.query("SELECT repeat('x', 1000000) AS v").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as { code?: string }).code).toBe("54000");
    expect((err as Error).message).toMatch(
      /^proxy: a result row of 100000\d bytes is over the limit of 65536 bytes per row \(ENV_MANAGER_MAX_ROW_BYTES\)/,
    );
    await c.end().catch(() => {});
    // The instance itself is unharmed: a new session works.
    const again = await connectViaProxy(created.connection);
    expect((await again.query("SELECT 1 AS one")).rows[0].one).toBe(1);
    await again.end();
  });
});
