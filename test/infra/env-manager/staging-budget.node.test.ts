// The staging budget: a format-2 snapshot's changed files are copied to tmpfs (memory) and written
// as chunks in the background. While the copies waiting for their write stay within
// `stagingBudgetBytes` a background snapshot answers at once (`written: false`); past it, it
// writes its own layer before answering (`written: true`, `new_bytes` set), so staged copies
// cannot pile up in memory faster than they are written. The same step against both budgets.
import { afterAll, describe, expect, it } from "vitest";
import {
  connectViaProxy,
  startTestEnv,
  type TestEnv,
} from "../../../infra/local-dev/env-manager/test-harness.ts";

const envs: TestEnv[] = [];
afterAll(async () => {
  await Promise.all(envs.map((e) => e.close()));
});

/** Boots an instance, writes ~4 MB into it and takes a background snapshot. */
async function snapshotAfterWrite(stagingBudgetBytes: number) {
  const env = await startTestEnv({ layerFormat: 2, stagingBudgetBytes });
  envs.push(env);
  const created = await env.call("POST", "/v1/instances", {
    from: { base: { engine: env.handle.manager.binaries.engine } },
  });
  expect(created.status).toBe(201);
  const client = await connectViaProxy(created.json.connection);
  await client.query(
    "CREATE TABLE staged AS SELECT g, repeat('s', 400) AS pad FROM generate_series(1, 10000) g",
  );
  await client.end();
  const snap = await env.call("POST", `/v1/instances/${created.json.instance_id}/snapshot`, {
    background: true,
  });
  expect(snap.status, JSON.stringify(snap.json)).toBe(200);
  return { env, snap: snap.json };
}

describe("staging budget", () => {
  it("within the budget a background snapshot answers before its write", async () => {
    const { snap } = await snapshotAfterWrite(1024 * 1024 * 1024);
    expect(snap).toMatchObject({ format: 2, written: false, new_bytes: null });
  });

  it("past the budget it writes its layer first and answers written: true", async () => {
    const { env, snap } = await snapshotAfterWrite(1024 * 1024);
    expect(snap).toMatchObject({ format: 2, written: true });
    expect(snap.new_bytes).toBeGreaterThan(1024 * 1024);
    // Already in storage: its write state needs no wait.
    const state = await env.call("GET", `/v1/layers/${snap.layer_id}/write?wait_ms=0`);
    expect(state.json.state).toBe("written");
  });
});
