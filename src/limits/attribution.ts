// Whose failure is it? A step that fails because the platform went away (env-manager killed,
// PostgreSQL crashed, the proxy dropped the socket) or because a quota was crossed must not be
// reported as the user's `tail_error`/`head_error`. This module looks at the error and, when it
// looks like a lost connection, asks env-manager about the instance: gone or dead is
// `instance_lost`, unreachable is `env_unavailable`, over its quota is `quota_exceeded` naming
// the limit. The platform codes are retryable (the job boots again from its last layer).

import type { InstanceResponse } from "../clients/contracts/env-manager.ts";
import { AppError } from "../errors.ts";
import type { JobError } from "../jobs/model.ts";

export interface InstanceProbe {
  get(instanceId: string): Promise<InstanceResponse | null>;
}

export interface Attribution {
  error: JobError;
  /** Safe to run again on a new instance (boot from the last published layer). */
  retryable: boolean;
}

/** SQLSTATEs of a quota PostgreSQL itself enforces, with the limit they name. */
const QUOTA_SQLSTATES: Readonly<Record<string, string>> = {
  "53400": "temp_file_limit",
  "53200": "max_backend_bytes",
  "53100": "max_data_bytes",
};
/** env-manager answers that mean a quota, with the limit they name. */
const QUOTA_UPSTREAM: Readonly<Record<string, string>> = {
  quota_exceeded: "max_data_bytes",
  layer_too_large: "max_layer_bytes",
};

function causeOf(err: unknown): unknown {
  return err instanceof Error && err.cause !== undefined ? err.cause : err;
}

function detail(err: unknown, key: string): string | undefined {
  const inner = causeOf(err);
  if (!(inner instanceof AppError)) return undefined;
  const v = inner.details[key];
  return typeof v === "string" ? v : undefined;
}

/**
 * A lost session: the server ended it (57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot
 * connect now), a connection exception (class 08), or the engine's own `connection_error` / a
 * socket that closed under a statement (no SQLSTATE at all).
 */
export function looksLikeLostSession(err: unknown): boolean {
  const sqlstate = detail(err, "sqlstate");
  if (sqlstate) return sqlstate.startsWith("57P") || sqlstate.startsWith("08");
  const inner = causeOf(err);
  if (!(inner instanceof AppError)) return false;
  if (inner.code === "connection_error") return true;
  return /connection|terminat|socket|closed|ECONNRESET|EPIPE/i.test(inner.message);
}

function quota(limit: string, message: string): Attribution {
  return {
    error: { code: "quota_exceeded", limit, message: `quota ${limit} exceeded: ${message}` },
    retryable: false,
  };
}

/** The platform's or a quota's share of `err`, or null when it is the user's own failure. */
export async function attributeFailure(
  probe: InstanceProbe,
  instanceId: string | null,
  err: unknown,
): Promise<Attribution | null> {
  const inner = causeOf(err);
  const upstream = inner instanceof AppError ? inner.details.upstream_code : undefined;
  if (typeof upstream === "string" && QUOTA_UPSTREAM[upstream]) {
    return quota(QUOTA_UPSTREAM[upstream], scrubHostPaths((inner as AppError).message));
  }
  if (inner instanceof AppError && inner.code === "instance_lost") {
    // Found lost outside a statement (src/run/layers.ts: dead after a snapshot's restart).
    return {
      error: {
        code: "instance_lost",
        message: `the PostgreSQL instance went away while the job ran (a platform failure): ${inner.message}`,
      },
      retryable: true,
    };
  }
  const sqlstate = detail(err, "sqlstate");
  if (sqlstate && QUOTA_SQLSTATES[sqlstate] && inner instanceof AppError) {
    return quota(QUOTA_SQLSTATES[sqlstate], scrubHostPaths(inner.message));
  }
  if (!instanceId || !looksLikeLostSession(err)) return null;
  let info: InstanceResponse | null;
  try {
    info = await probe.get(instanceId);
  } catch {
    return {
      error: {
        code: "env_unavailable",
        message: "env-manager became unreachable while the job ran (a platform failure)",
      },
      retryable: true,
    };
  }
  if (info?.quota_exceeded) {
    const q = info.quota_exceeded;
    return quota(
      q.limit,
      `the instance's data directory reached ${q.used_bytes} of ${q.max_bytes} bytes`,
    );
  }
  if (!info || info.state === "dead") {
    return {
      error: {
        code: "instance_lost",
        message: "the PostgreSQL instance went away while the job ran (a platform failure)",
      },
      retryable: true,
    };
  }
  return null;
}

/**
 * Removes host paths from a server message: PostgreSQL names its own files (an extension's
 * control file, a data file) with absolute paths of the host's install. Two or more absolute
 * segments become `<path>`; a project path (relative) is left alone.
 */
export function scrubHostPaths(text: string): string {
  return text.replace(/(?<![\w.])\/(?:[\w.@+-]+\/)+[\w.@+-]*/g, "<path>");
}

/** `error` with its message, detail and hint scrubbed of host paths. */
export function scrubError(error: JobError): JobError {
  const out: JobError = { ...error, message: scrubHostPaths(error.message) };
  if (error.detail) out.detail = scrubHostPaths(error.detail);
  if (error.hint) out.hint = scrubHostPaths(error.hint);
  return out;
}
