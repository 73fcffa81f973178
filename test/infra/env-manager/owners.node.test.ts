// Owners: an instance created with `owner` is listed with it by GET /v1/instances (no connection
// details), so the Worker's sweep can find instances no job holds any longer.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEnv, type TestEnv } from "../../../infra/local-dev/env-manager/test-harness.ts";
import { InstanceListResponse } from "../../../src/clients/contracts/env-manager.ts";

let env: TestEnv;

beforeAll(async () => {
  env = await startTestEnv({ maxInstances: 4 });
});
afterAll(async () => {
  await env?.close();
});

describe("instance owners", () => {
  it("lists live instances with their owners and without passwords", async () => {
    const engine = env.handle.manager.binaries.engine;
    const owned = await env.call("POST", "/v1/instances", {
      from: { base: { engine } },
      owner: "job-0123",
    });
    const anonymous = await env.call("POST", "/v1/instances", { from: { base: { engine } } });
    expect([owned.status, anonymous.status]).toEqual([201, 201]);

    const res = await env.call("GET", "/v1/instances");
    expect(res.status).toBe(200);
    const { instances } = InstanceListResponse.parse(res.json);
    const byId = new Map(instances.map((i) => [i.instance_id, i]));
    expect(byId.get(owned.json.instance_id)?.owner).toBe("job-0123");
    expect(byId.get(anonymous.json.instance_id)?.owner).toBeNull();
    expect(JSON.stringify(res.json)).not.toContain(owned.json.connection.password);

    await env.call("DELETE", `/v1/instances/${owned.json.instance_id}`);
    const after = InstanceListResponse.parse((await env.call("GET", "/v1/instances")).json);
    expect(after.instances.map((i) => i.instance_id)).not.toContain(owned.json.instance_id);
    await env.call("DELETE", `/v1/instances/${anonymous.json.instance_id}`);
  });

  it("refuses an owner that is not printable ASCII", async () => {
    const engine = env.handle.manager.binaries.engine;
    const res = await env.call("POST", "/v1/instances", {
      from: { base: { engine } },
      owner: "has space",
    });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe("validation_failed");
  });
});
