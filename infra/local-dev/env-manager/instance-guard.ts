// What an operation on a live instance (snapshot, restart, cancel) answers when it fails: the
// instance's own refusals become 409s, a server that went away under the operation is
// instance_dead, anything else is logged and answered 503 instance_failed (no stack to the caller).
import { errorFields, type ServiceLog } from "../service-log.ts";
import { EnvError } from "./errors.ts";
import { type Instance, InstanceBusyError } from "./instance.ts";
import type { InstanceTable } from "./instance-table.ts";

export async function guardInstanceOperation<T>(
  table: InstanceTable,
  log: ServiceLog,
  instance: Instance,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof InstanceBusyError) {
      throw new EnvError(
        409,
        err.status === "dead" ? "instance_dead" : "instance_busy",
        `instance ${instance.id} is ${err.status}`,
      );
    }
    if (err instanceof EnvError) throw err;
    // The server went away under the operation (killed, destroyed meanwhile, crashed).
    if (instance.status === "dead" || !table.find(instance.id)) {
      throw new EnvError(409, "instance_dead", `instance ${instance.id} is dead`);
    }
    log.error("instance_operation_failed", {
      instance_id: instance.id,
      job_id: table.find(instance.id)?.owner,
      status: 503,
      code: "instance_failed",
      ...errorFields(err),
    });
    throw new EnvError(503, "instance_failed", `instance ${instance.id}: operation failed`, 1);
  }
}
