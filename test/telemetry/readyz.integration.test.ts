// Readiness against the real platform: ready when env-manager and snapshot-cache answer, and a
// 503-worthy answer naming the one that does not (a closed port stands in for a stopped service).
import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { checkReadiness } from "../../src/telemetry/readiness.ts";
import { call } from "../api/helpers.ts";

describe("readiness on the real platform", () => {
  it("answers 200 ready when both services answer", async () => {
    const res = await call("/readyz", { token: null });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ready", ready: true, down: [] });
  });

  it("names the one service that is down", async () => {
    const out = await checkReadiness({ ...env, SNAPSHOT_CACHE_URL: "http://127.0.0.1:9" });
    expect(out.ready).toBe(false);
    expect(out.down).toEqual(["snapshot-cache"]);
    expect(out.checks["env-manager"]?.ok).toBe(true);
    expect(inject("envManagerUrl")).toBe(env.ENV_MANAGER_URL);
  });
});
