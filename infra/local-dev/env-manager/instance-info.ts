// How an instance is named and described to callers: its virtual proxy address
// (`<id>.sqlrunner.internal:5432`, resolved only by our own proxy) and its InstanceInfo answer.
import type { InstanceInfo } from "../../../src/clients/contracts/env-manager.ts";
import { SOCKET_PORT, USER_DATABASE, USER_ROLE } from "../postgres/settings.ts";
import type { Instance } from "./instance.ts";

const HOST_SUFFIX = ".sqlrunner.internal";
const ADDRESS = /^(i-[0-9a-f]{16})\.sqlrunner\.internal:5432$/;

/** The instance id a proxied `host:port` names, or null if it is not one of our addresses. */
export function instanceIdOfAddress(address: string): string | null {
  return ADDRESS.exec(address)?.[1] ?? null;
}

export function describeInstance(
  instance: Instance,
  times: { createdAt: number; expiresAt: number },
  wsProxy: string,
): InstanceInfo {
  return {
    instance_id: instance.id,
    state: instance.status === "booting" ? "restarting" : instance.status,
    connection: {
      host: `${instance.id}${HOST_SUFFIX}`,
      port: SOCKET_PORT,
      database: USER_DATABASE,
      user: USER_ROLE,
      password: instance.password,
      ws_proxy: wsProxy,
    },
    source: {
      layer_id: instance.source.layerId,
      engine: instance.source.engine,
      settings_digest: instance.source.settingsDigest,
    },
    created_at: new Date(times.createdAt).toISOString(),
    expires_at: new Date(times.expiresAt).toISOString(),
    ...(instance.exceeded ? { quota_exceeded: instance.exceeded } : {}),
  };
}
