// env-manager's HTTP service: the routes of docs/contracts/env-manager.md plus the WebSocket proxy
// on the same loopback port. `startEnvManager()` is what platform.ts, tests and benches call.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { z } from "zod";
import {
  CreateInstanceRequest,
  type CreateInstanceResponse,
  type EnvHealthResponse,
  EnvLayerId,
  InstanceId,
  MAX_WRITE_WAIT_MS,
  SnapshotRequest,
} from "../../../src/clients/contracts/env-manager.ts";
import { type LogSink, serviceLog } from "../service-log.ts";
import { ServiceTelemetry } from "../telemetry/service-telemetry.ts";
import { type EnvManagerOverrides, resolveConfig } from "./config.ts";
import { EnvError } from "./errors.ts";
import { Router } from "./http.ts";
import { EnvManager } from "./manager.ts";
import { attachProxy } from "./proxy.ts";

export interface EnvManagerHandle {
  url: string;
  port: number;
  manager: EnvManager;
  close(): Promise<void>;
}

export interface StartOptions extends EnvManagerOverrides {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Telemetry exporter base URL: spans of requests carrying a traceparent go there. */
  telemetryUrl?: string;
  /** Where its JSON log lines go (default: warnings and errors to stderr; service-log.ts). */
  log?: LogSink;
}

export async function startEnvManager(opts: StartOptions = {}): Promise<EnvManagerHandle> {
  const { port = 0, telemetryUrl, log, ...partial } = opts;
  const cfg = resolveConfig(partial);
  const events = serviceLog("env-manager", log);
  const manager = await EnvManager.start(cfg, events);
  const router = routes(new Router(cfg.token, events), manager);
  const telemetry = new ServiceTelemetry({
    service: "env-manager",
    token: cfg.token,
    telemetryUrl,
    log,
  })
    .gauge(
      "env_manager_instances",
      "PostgreSQL instances handed out and alive (warm ones in the pool are env_manager_pool_size).",
      () => manager.counts().instances,
    )
    .gauge(
      "env_manager_pool_size",
      "Warm instances waiting in the pool.",
      () => manager.counts().pooled,
    )
    .gauge("env_manager_max_instances", "The instance cap.", () => manager.cfg.maxInstances)
    .gauge(
      "env_manager_pool_hits",
      "Creates served from the warm pool since start.",
      () => manager.pool.stats().hits,
    )
    .gauge(
      "env_manager_pool_misses",
      "Creates that found no warm instance since start.",
      () => manager.pool.stats().misses,
    );
  const server = createServer(telemetry.wrap(router.handle));
  server.keepAliveTimeout = 30_000;
  const wss = attachProxy(server, (address) => manager.resolveAddress(address), manager.sessions, {
    maxRowBytes: manager.cfg.maxRowBytes,
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  manager.wsProxy = `127.0.0.1:${bound}`;
  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    manager,
    async close() {
      for (const client of wss.clients) client.terminate();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await manager.close();
      await telemetry.flush();
    },
  };
}

function parse<T extends z.ZodType>(schema: T, value: unknown, where: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = [where, ...(issue?.path ?? []).map(String)].join(".");
  throw new EnvError(400, "validation_failed", `${path}: ${issue?.message ?? "invalid"}`);
}

function routes(router: Router, mgr: EnvManager): Router {
  const id = (params: Record<string, string>) => parse(InstanceId, params.id, "instance_id");
  return router
    .on("GET", "/healthz", async () => {
      const json: EnvHealthResponse = {
        status: "ok",
        service: "env-manager",
        engine: mgr.binaries.engine,
        settings_digest: mgr.digest,
        engines: await mgr.bases.offers(),
        instances: mgr.counts().instances,
        max_instances: mgr.cfg.maxInstances,
        pooled: mgr.counts().pooled,
        pool: (({ hits, misses, boots }) => ({ hits, misses, boots }))(mgr.pool.stats()),
      };
      return { json };
    })
    .on("POST", "/v1/instances", async (ctx) => {
      const req = parse(CreateInstanceRequest, await ctx.body(), "body");
      const created = await mgr.create(req.from, req.ttl_ms, req.owner ?? null, req.quota);
      const json: CreateInstanceResponse = { ...mgr.info(created.instance.id), boot: created.boot };
      return { status: 201, json };
    })
    .on("GET", "/v1/instances", async () => ({ json: { instances: mgr.list() } }))
    .on("GET", "/v1/instances/:id", async (ctx) => ({ json: mgr.info(id(ctx.params)) }))
    .on("POST", "/v1/instances/:id/snapshot", async (ctx) => {
      const req = parse(SnapshotRequest, await ctx.body(), "body") ?? {};
      return { json: await mgr.snapshot(id(ctx.params), req) };
    })
    .on("POST", "/v1/instances/:id/restart", async (ctx) => {
      const instanceId = id(ctx.params);
      return { json: { instance_id: instanceId, ms: await mgr.restart(instanceId) } };
    })
    .on("POST", "/v1/instances/:id/cancel", async (ctx) => ({
      json: { cancelled: await mgr.cancel(id(ctx.params)) },
    }))
    .on("DELETE", "/v1/instances/:id", async (ctx) => {
      const instanceId = id(ctx.params);
      return { json: { instance_id: instanceId, destroyed: await mgr.destroy(instanceId) } };
    })
    .on("GET", "/v1/layers/in-use", async () => ({ json: { layer_ids: mgr.layersInUse() } }))
    .on("GET", "/v1/layers/:layer_id/write", async (ctx) => {
      const layerId = parse(EnvLayerId, ctx.params.layer_id, "layer_id");
      const raw = ctx.query.get("wait_ms") ?? "0";
      const waitMs = Number(raw);
      if (!/^\d+$/.test(raw) || waitMs > MAX_WRITE_WAIT_MS) {
        throw new EnvError(400, "validation_failed", `wait_ms: must be 0-${MAX_WRITE_WAIT_MS}`);
      }
      const out = await mgr.layerWriteState(layerId, waitMs);
      return { json: { layer_id: layerId, state: out.state, new_bytes: out.newBytes ?? null } };
    });
}
